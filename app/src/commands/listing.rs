//! Setting an exchange up: the exchange, an insurance fund, a market listing and its activation.

use super::signing::Signing;
use super::{key, Session};
use crate::chain::Chain;
use crate::error::{Error, Result};
use anchor_lang::prelude::Pubkey;
use backstop::state::{OracleConfig, OracleKind};
use serde_json::json;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Creates the exchange, naming its authority (default: the keypair), guardian, treasury and timelock delay.
    /// The keypair must be the program's upgrade authority.
    InitExchange {
        /// The governance authority (in production a multisig vault). Default: the keypair.
        #[arg(long, value_parser = key)]
        authority: Option<Pubkey>,
        /// The guardian: may restrict a market at once, never loosen.
        #[arg(long, value_parser = key)]
        guardian: Pubkey,
        /// The treasury: receives the treasury's share of fees.
        #[arg(long, value_parser = key)]
        treasury: Pubkey,
        /// Seconds every queued change waits (1 hour ..= 30 days).
        #[arg(long, default_value_t = 86_400)]
        timelock_delay_secs: i64,
        /// The program's ProgramData account (required when the program is upgradeable).
        #[arg(long, value_parser = key)]
        program_data: Option<Pubkey>,
    },
    /// Governance: creates insurance fund `id` for a 6-decimal mint, with its staking rules.
    InitFund {
        #[command(flatten)]
        signing: Signing,
        /// The id (the exchange's next free one).
        #[arg(long)]
        id: u16,
        /// The collateral mint (6 decimals).
        #[arg(long, value_parser = key)]
        mint: Pubkey,
        #[command(flatten)]
        rules: FundRules,
    },
    /// Governance: lists market `id` (timelocked: `activate-market` after the delay) on a legacy Pyth account, or
    /// a PriceUpdateV2 account with `--feed-id`. Parameters start from the production preset (circuit breaker on;
    /// `backstop params` lists them) and take `--set name=value`.
    InitMarket {
        #[command(flatten)]
        signing: Signing,
        /// The id (the exchange's next free one).
        #[arg(long)]
        id: u16,
        /// The collateral mint (6 decimals).
        #[arg(long, value_parser = key)]
        mint: Pubkey,
        /// The insurance fund's id.
        #[arg(long)]
        fund_id: u16,
        /// The oracle account: a legacy Pyth price account, or a PriceUpdateV2 with `--feed-id`.
        #[arg(long, value_parser = key)]
        oracle: Pubkey,
        /// Hex feed id (32 bytes): makes it a pull-oracle market on Pyth's receiver.
        #[arg(long, value_parser = parse_feed_id)]
        feed_id: Option<[u8; 32]>,
        #[command(flatten)]
        overrides: ParamOverrides,
    },
    /// Anyone: grows a listed market's bankruptcy book to its whole size (`init-market` does it in the listing's
    /// transaction; this finishes a listing made otherwise). The keypair pays the rent.
    ExtendMarketBook {
        /// The market's address.
        #[arg(long, value_parser = key)]
        market: Pubkey,
    },
    /// Anyone, once the listing delay has passed: opens a listed market.
    ActivateMarket {
        /// The market's address.
        #[arg(long, value_parser = key)]
        market: Pubkey,
    },
}

/// An insurance fund's staking rules (`FundParams`).
#[derive(clap::Args, Clone, Debug)]
pub struct FundRules {
    /// Seconds between an unstake request and the unstake (1 hour ..= 30 days).
    #[arg(long, default_value_t = 7 * 86_400)]
    pub cooldown_secs: u32,
    /// Seconds over which revenue vests into the share price (..= 30 days).
    #[arg(long, default_value_t = 7 * 86_400)]
    pub vesting_period_secs: u32,
    /// Most of the fund unstakes may take per gate window, bps (1 ..= 10 000).
    #[arg(long, default_value_t = 1_000)]
    pub gate_bps: u32,
    /// The redemption gate's window, seconds (1 hour ..= 30 days).
    #[arg(long, default_value_t = 86_400)]
    pub gate_window_secs: u32,
}

impl FundRules {
    pub fn params(&self) -> Result<backstop_math::staking::FundParams> {
        let params = backstop_math::staking::FundParams {
            cooldown_secs: self.cooldown_secs,
            vesting_period_secs: self.vesting_period_secs,
            gate_bps: self.gate_bps,
            gate_window_secs: self.gate_window_secs,
        };
        params.validate().map_err(|e| Error::Input(format!("fund rules out of bounds: {e:?} ({e})")))?;
        Ok(params)
    }
}

/// `--set name=value`, repeatable: market parameters by name.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ParamOverrides {
    /// A market parameter by name, repeatable (`backstop params` lists every name with its bounds and rule).
    #[arg(long = "set", value_parser = parse_assignment)]
    pub set: Vec<(String, u64)>,
}

impl ParamOverrides {
    /// `base` with every override applied, checked against the parameters' bounds.
    pub fn apply(&self, mut base: backstop_math::params::MarketParams) -> Result<backstop_math::params::MarketParams> {
        for (i, (name, _)) in self.set.iter().enumerate() {
            if self.set[..i].iter().any(|(earlier, _)| earlier == name) {
                return Err(Error::Input(format!("`{name}` is set twice")));
            }
        }
        for (name, value) in &self.set {
            backstop_client::presets::set_by_name(&mut base, name, *value).map_err(Error::Input)?;
        }
        base.validate().map_err(|e| Error::Input(format!("parameters out of bounds: {e:?} ({e})")))?;
        Ok(base)
    }
}

pub async fn run(command: Command, session: &mut Session) -> Result<()> {
    match command {
        Command::InitExchange { authority, guardian, treasury, timelock_delay_secs, program_data } => {
            let payer = session.signer();
            let args = backstop::instructions::InitializeExchangeArgs {
                authority: authority.unwrap_or(payer),
                guardian,
                treasury,
                timelock_delay_secs,
            };
            session.send(&[backstop_client::initialize_exchange_with(payer, args, program_data)]).await
        }
        Command::InitFund { signing, id, mint, rules } => {
            let authority = signing.authority(session);
            let ix = backstop_client::initialize_insurance_fund_with(authority, authority, mint, id, rules.params()?);
            let fund = backstop_client::pda::insurance_fund(id);
            session.report.say("fund", json!(fund.to_string()), format!("insurance fund {fund}"));
            signing.submit(session, &[ix]).await
        }
        Command::InitMarket { signing, id, mint, fund_id, oracle, feed_id, overrides } => {
            let authority = signing.authority(session);
            let listing = backstop_client::ListMarket {
                authority,
                payer: authority,
                collateral_mint: mint,
                insurance_fund: backstop_client::pda::insurance_fund(fund_id),
                oracle,
                oracle_config: oracle_config(feed_id),
                market_id: id,
                params: overrides.apply(backstop_client::presets::production())?,
            };
            let market = backstop_client::pda::market(id);
            session.report.say("market", json!(market.to_string()), format!("market {market}"));
            signing.submit(session, &listing.instructions()).await
        }
        Command::ExtendMarketBook { market } => {
            use backstop::state::MarketBook;
            let address = backstop_client::pda::market_book(&market);
            let (data, _) = session.chain.account(address).await?.ok_or_else(|| {
                Error::Account(format!("market book {address}: no such account (is {market} listed?)"))
            })?;
            let missing = MarketBook::SPACE.saturating_sub(data.len());
            let steps = missing.div_ceil(MarketBook::CREATED_SPACE);
            session.report.say("steps", json!(steps), format!("{steps} growth steps"));
            if steps == 0 {
                return Ok(());
            }
            let payer = session.signer();
            let grow: Vec<_> = (0..steps).map(|_| backstop_client::extend_market_book(market, payer)).collect();
            session.send(&grow).await
        }
        Command::ActivateMarket { market } => {
            let caller = session.signer();
            session.send(&[backstop_client::activate_market(market, caller)]).await
        }
    }
}

/// A legacy Pyth account without a feed id; a PriceUpdateV2 on Pyth's receiver with one.
pub fn oracle_config(feed_id: Option<[u8; 32]>) -> OracleConfig {
    match feed_id {
        Some(feed_id) => OracleConfig {
            kind: OracleKind::PythPull as u8,
            receiver: backstop::oracle::PYTH_RECEIVER_PROGRAM_ID,
            feed_id,
            min_signatures: 0,
        },
        None => OracleConfig {
            kind: OracleKind::PythLegacy as u8,
            receiver: Pubkey::default(),
            feed_id: [0; 32],
            min_signatures: 0,
        },
    }
}

pub fn parse_assignment(text: &str) -> std::result::Result<(String, u64), String> {
    let (name, value) = text.split_once('=').ok_or("expected name=value")?;
    let value = value.trim().replace('_', "");
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{value}` is not a whole number"));
    }
    Ok((name.trim().to_string(), value.parse().map_err(|_| format!("`{value}` is too large"))?))
}

pub fn parse_feed_id(hex: &str) -> std::result::Result<[u8; 32], String> {
    let hex = hex.trim_start_matches("0x");
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("a feed id is 32 bytes of hex (64 digits)".to_string());
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| "a feed id is hex".to_string())?;
    }
    Ok(out)
}
