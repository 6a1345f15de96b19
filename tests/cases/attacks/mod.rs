//! The attack campaign (issue 11), one file per class; each test is named after the attack it plays.

mod account_substitution;
mod breaker_griefing;
mod chosen_print;
mod dust_and_rounding;
mod exits_dodging_losses;
mod fund_corners;
mod hedged_claim;
mod instant_tightenings;
mod missing_signer;
mod oracle_manipulation;
mod oracle_receiver;
mod parameter_races;
mod prefunded_accounts;
mod reinitialization;
mod self_liquidation;
mod unstake_queue_storm;
