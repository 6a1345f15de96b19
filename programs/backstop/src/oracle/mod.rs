//! Oracle reading: every supported account format is decoded into one `RawOracleReading`, then validated by the
//! functional core against the market's guards (SPEC §4). Nothing downstream knows which kind it came from.

mod pyth_legacy;

use crate::error::{BackstopError, OrReject};
use crate::state::{Market, OracleKind};
use anchor_lang::prelude::*;
use backstop_math::oracle::{validate_reading, OracleGuards, OraclePrice, RawOracleReading};

pub use pyth_legacy::PYTH_LEGACY_PROGRAM_ID;

/// Decodes `account` as an oracle of `kind`, checking its owner and layout (not its freshness).
pub fn decode(account: &AccountInfo, kind: OracleKind) -> Result<RawOracleReading> {
    match kind {
        OracleKind::PythLegacy => pyth_legacy::decode(account),
    }
}

/// Reads the market's oracle at `now`: the account must be the configured one, in the configured format, fresh,
/// certain, trading, positive and not older than the last price the market used.
pub fn read_market_oracle(account: &AccountInfo, market: &Market, now: i64) -> Result<OraclePrice> {
    require_keys_eq!(account.key(), market.oracle, BackstopError::OracleMismatch); // #oracle
    let kind = OracleKind::try_from(market.oracle_kind)?;
    let reading = decode(account, kind)?;
    let guards = OracleGuards {
        max_age_secs: market.params.oracle_max_age_secs,
        max_conf_bps: market.params.oracle_max_conf_bps,
        last_publish_time: market.last_oracle_publish_time,
    };
    validate_reading(&reading, &guards, now).or_reject()
}
