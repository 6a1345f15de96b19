//! Oracle reading: every supported account format is decoded into one `RawOracleReading`, then validated by the
//! functional core against the market's guards. Nothing downstream knows which kind it came from.

mod pyth_legacy;
mod pyth_pull;

use crate::error::{BackstopError, OrReject};
use crate::state::{Exchange, Market, OracleConfig, OracleKind};
use anchor_lang::prelude::*;
use backstop_math::oracle::{validate_reading, OracleGuards, OracleView, RawOracleReading};

pub use pyth_legacy::PYTH_LEGACY_PROGRAM_ID;
pub use pyth_pull::PYTH_RECEIVER_PROGRAM_ID;

/// Decodes `account` as the configured oracle, checking its owner, layout, feed and verification (not its
/// freshness).
pub fn decode(account: &AccountInfo, config: &OracleConfig) -> Result<RawOracleReading> {
    match OracleKind::try_from(config.kind)? {
        OracleKind::PythLegacy => pyth_legacy::decode(account),
        OracleKind::PythPull => pyth_pull::decode(account, config),
    }
}

/// Checks that a configuration fits its kind before a market is listed on it, or moved to it. A pull feed's
/// receiver must be Pyth's, or the one receiver the exchange allow-lists (a timelocked exchange change): whoever
/// controls the receiver program controls every price it verifies.
pub fn validate_config(config: &OracleConfig, exchange: &Exchange) -> Result<()> {
    let fits = match OracleKind::try_from(config.kind)? {
        OracleKind::PythLegacy => {
            config.receiver == Pubkey::default() && config.feed_id == [0; 32] && config.min_signatures == 0
        }
        OracleKind::PythPull => config.receiver != Pubkey::default() && config.feed_id != [0; 32],
    };
    require!(fits, BackstopError::InvalidOracleConfig);
    if OracleKind::try_from(config.kind)? == OracleKind::PythPull {
        let allowed = config.receiver == PYTH_RECEIVER_PROGRAM_ID
            || (config.receiver == exchange.oracle_receiver && exchange.oracle_receiver != Pubkey::default());
        require!(allowed, BackstopError::OracleReceiverNotAllowed);
    }
    Ok(())
}

/// Reads the market's oracle at `now`: the account must be the configured one, in the configured format, fresh,
/// certain, trading, positive and not older than the last price the market used. Whether the print may be used
/// as it is, or only as far as its EMA band, is for each action to ask of the view.
pub fn read_market_oracle(account: &AccountInfo, market: &Market, now: i64) -> Result<OracleView> {
    require_keys_eq!(account.key(), market.oracle, BackstopError::OracleMismatch); // #oracle
    let reading = decode(account, &market.oracle_config())?;
    validate_reading(&reading, &guards(market), now).or_reject()
}

/// What the market allows of its oracle now (the crash laboratory's core engine validates its readings with the
/// same guards).
pub fn guards(market: &Market) -> OracleGuards {
    OracleGuards {
        max_age_secs: market.params.oracle_max_age_secs,
        max_conf_bps: market.params.oracle_max_conf_bps,
        last_publish_time: market.last_oracle_publish_time,
        max_ema_divergence_bps: market.params.oracle_max_ema_divergence_bps,
    }
}
