//! The attack campaign (issue 11), one file per class; each test is named after the attack it plays.

mod prefunded_accounts;
