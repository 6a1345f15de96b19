//! Reads a market's oracle off-chain with the program's own decoder and validation, whatever its kind.

use crate::error::Error;
use anchor_lang::prelude::{AccountInfo, Pubkey};
use backstop::state::Market;
use backstop_math::oracle::{validate_reading, OraclePrice, OracleView};

/// Decodes and validates oracle account bytes exactly as the program would at `now`, and returns the price a
/// liquidation would use (a print far from its EMA is believed only to the band's edge).
pub fn price_from_account(data: &[u8], owner: &Pubkey, market: &Market, now: i64) -> crate::error::Result<OraclePrice> {
    view_from_account(data, owner, market, now)?.believed().map_err(Error::from)
}

/// Decodes and validates oracle account bytes exactly as the program would at `now`: the view every action asks
/// what it may do with the print.
pub fn view_from_account(data: &[u8], owner: &Pubkey, market: &Market, now: i64) -> crate::error::Result<OracleView> {
    let key = market.oracle;
    let mut lamports = 0u64;
    let mut bytes = data.to_vec();
    let info = AccountInfo::new(&key, false, false, &mut lamports, &mut bytes, owner, false);
    let reading = backstop::oracle::decode(&info, &market.oracle_config())
        .map_err(|e| Error::Account(format!("oracle {key}: {e}")))?;
    validate_reading(&reading, &backstop::oracle::guards(market), now).map_err(Error::from)
}
