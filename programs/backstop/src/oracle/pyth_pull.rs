//! Pyth's pull oracle: a PriceUpdateV2 account written by a receiver program, read with the official
//! pyth-solana-receiver-sdk. The verification tag is variable-length (Partial carries a signature count), so the
//! account is decoded by its Borsh layout, never at fixed offsets.

use crate::error::BackstopError;
use crate::state::OracleConfig;
use anchor_lang::prelude::*;
use anchor_lang::Discriminator;
use backstop_math::oracle::RawOracleReading;
use pyth_solana_receiver_sdk::price_update::{PriceUpdateV2, VerificationLevel};

/// The Pyth Solana receiver program on mainnet, the default owner a pull market accepts.
#[constant]
pub const PYTH_RECEIVER_PROGRAM_ID: Pubkey = pubkey!("rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ");

pub fn decode(account: &AccountInfo, config: &OracleConfig) -> Result<RawOracleReading> {
    require_keys_eq!(*account.owner, config.receiver, BackstopError::OracleWrongOwner);
    let data = account.try_borrow_data()?;
    require!(data.starts_with(PriceUpdateV2::DISCRIMINATOR), BackstopError::OracleDiscriminatorMismatch);
    let update = PriceUpdateV2::deserialize(&mut &data[PriceUpdateV2::DISCRIMINATOR.len()..])
        .map_err(|_| error!(BackstopError::OracleInvalidData))?;
    let message = &update.price_message;
    require!(message.feed_id == config.feed_id, BackstopError::OracleFeedMismatch);
    let verified = match update.verification_level {
        VerificationLevel::Full => true,
        VerificationLevel::Partial { num_signatures } => {
            config.min_signatures > 0 && num_signatures >= config.min_signatures
        }
    };
    require!(verified, BackstopError::OracleVerificationInsufficient);
    Ok(RawOracleReading {
        price: message.price,
        conf: message.conf,
        expo: message.exponent,
        publish_time: message.publish_time,
        // A PriceUpdateV2 carries only prices Pyth published as trading.
        trading: true,
        ema_price: message.ema_price,
        ema_conf: message.ema_conf,
    })
}
