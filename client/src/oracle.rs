//! Reads a market's oracle off-chain with the program's own decoder and validation, whatever its kind: the
//! keeper, the CLI and the simulator see the price the program would.

use anchor_lang::prelude::{AccountInfo, Pubkey};
use backstop::state::Market;
use backstop_math::oracle::{validate_reading, OraclePrice, OracleView};
use backstop_math::MathError;

/// Why the oracle gave no price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OracleError {
    /// The account is not an oracle account of the market's kind (or not the one it names).
    Unreadable { oracle: Pubkey, reason: String },
    /// The program's guards refuse the print (stale, too uncertain, …): the error the program would return.
    Refused(MathError),
}

impl core::fmt::Display for OracleError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Unreadable { oracle, reason } => write!(f, "oracle {oracle}: {reason}"),
            Self::Refused(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for OracleError {}

/// Decodes and validates oracle account bytes exactly as the program would at `now`: the view every action asks
/// what it may do with the print.
pub fn view_from_account(data: &[u8], owner: &Pubkey, market: &Market, now: i64) -> Result<OracleView, OracleError> {
    let key = market.oracle;
    let mut lamports = 0u64;
    let mut bytes = data.to_vec();
    let info = AccountInfo::new(&key, false, false, &mut lamports, &mut bytes, owner, false);
    let reading = backstop::oracle::decode(&info, &market.oracle_config())
        .map_err(|e| OracleError::Unreadable { oracle: key, reason: e.to_string() })?;
    validate_reading(&reading, &backstop::oracle::guards(market), now).map_err(OracleError::Refused)
}

/// As [`view_from_account`], returning the price a liquidation would use (a print far from its EMA is believed
/// only to the band's edge).
pub fn price_from_account(data: &[u8], owner: &Pubkey, market: &Market, now: i64) -> Result<OraclePrice, OracleError> {
    view_from_account(data, owner, market, now)?.believed().map_err(OracleError::Refused)
}
