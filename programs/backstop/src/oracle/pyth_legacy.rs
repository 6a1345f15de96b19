//! Pyth's legacy push price account, read with pyth-sdk-solana from its bytes.

use crate::error::BackstopError;
use anchor_lang::prelude::*;
use backstop_math::oracle::RawOracleReading;
use pyth_sdk_solana::state::{load_price_account, PriceStatus};

/// The Pyth oracle program on mainnet, owner of every legacy price account.
#[constant]
pub const PYTH_LEGACY_PROGRAM_ID: Pubkey = pubkey!("FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH");

/// Size of a legacy price account with its 32 publisher slots.
const PRICE_ACCOUNT_LEN: usize = 3312;

pub fn decode(account: &AccountInfo) -> Result<RawOracleReading> {
    // Only the Pyth program writes accounts it owns, so after this check the SDK's in-place cast (which trusts
    // its enum fields) reads bytes Pyth wrote.
    require_keys_eq!(*account.owner, PYTH_LEGACY_PROGRAM_ID, BackstopError::OracleWrongOwner);
    let data = account.try_borrow_data()?;
    if data.len() < PRICE_ACCOUNT_LEN {
        return err!(BackstopError::OracleInvalidData);
    }
    // The SDK casts in place and needs 8-byte alignment; the runtime aligns account data, but copy if it is not.
    let aligned;
    let bytes: &[u8] = if data.as_ptr().align_offset(8) == 0 {
        &data[..PRICE_ACCOUNT_LEN]
    } else {
        aligned = copy_aligned(&data[..PRICE_ACCOUNT_LEN]);
        bytemuck::cast_slice(&aligned)
    };
    let account = load_price_account::<32, ()>(bytes).map_err(|_| error!(BackstopError::OracleInvalidData))?;
    Ok(RawOracleReading {
        price: account.agg.price,
        conf: account.agg.conf,
        expo: account.expo,
        publish_time: account.timestamp,
        trading: matches!(account.agg.status, PriceStatus::Trading),
        ema_price: account.ema_price.val,
        // A negative average confidence is not a confidence: read as unknown.
        ema_conf: u64::try_from(account.ema_conf.val).unwrap_or(0),
    })
}

fn copy_aligned(bytes: &[u8]) -> Vec<u64> {
    let mut words = vec![0u64; bytes.len().div_ceil(8)];
    bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..bytes.len()].copy_from_slice(bytes);
    words
}
