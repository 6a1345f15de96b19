//! The one checked reader of Backstop's zero-copy accounts off-chain. Owner, discriminator and size are checked
//! before a byte is interpreted: an account of another program, or of another type, given where a market is
//! expected is refused by name, never printed as an empty market.

use anchor_lang::prelude::Pubkey;
use anchor_lang::Discriminator;

/// Why an account could not be read as the type asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Owned by another program than Backstop.
    WrongOwner { owner: Pubkey },
    /// A Backstop account of another type (or none: its first 8 bytes are no type's discriminator).
    WrongType { expected: &'static str },
    /// Shorter than the type's layout.
    TooShort { len: usize, need: usize },
}

impl core::fmt::Display for ReadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::WrongOwner { owner } => write!(f, "not a Backstop account (owned by {owner})"),
            Self::WrongType { expected } => write!(f, "not a Backstop {expected} account"),
            Self::TooShort { len, need } => write!(f, "account too short: {len} bytes, the layout needs {need}"),
        }
    }
}

impl std::error::Error for ReadError {}

/// Reads `data` (owned by `owner`) as a `T`: owner Backstop, discriminator `T`'s, long enough for `T`'s layout.
pub fn read<T: bytemuck::Pod + Discriminator>(data: &[u8], owner: &Pubkey) -> Result<T, ReadError> {
    if *owner != backstop::ID {
        return Err(ReadError::WrongOwner { owner: *owner });
    }
    let need = T::DISCRIMINATOR.len() + core::mem::size_of::<T>();
    if !data.starts_with(T::DISCRIMINATOR) {
        return Err(ReadError::WrongType { expected: short_name::<T>() });
    }
    if data.len() < need {
        return Err(ReadError::TooShort { len: data.len(), need });
    }
    Ok(bytemuck::pod_read_unaligned(&data[T::DISCRIMINATOR.len()..need]))
}

/// `Market` for `backstop::state::Market`.
fn short_name<T>() -> &'static str {
    let full = core::any::type_name::<T>();
    full.rsplit("::").next().unwrap_or(full)
}

#[cfg(test)]
mod tests {
    use super::*;
    use backstop::state::{MarginAccount, Market};

    fn market_bytes() -> Vec<u8> {
        let mut data = Market::DISCRIMINATOR.to_vec();
        data.extend(vec![0u8; core::mem::size_of::<Market>()]);
        data
    }

    #[test]
    fn each_mismatch_is_refused_by_name() {
        let data = market_bytes();
        assert!(read::<Market>(&data, &backstop::ID).is_ok());
        let stranger = Pubkey::new_unique();
        assert_eq!(read::<Market>(&data, &stranger).err(), Some(ReadError::WrongOwner { owner: stranger }));
        assert_eq!(
            read::<MarginAccount>(&data, &backstop::ID).err(),
            Some(ReadError::WrongType { expected: "MarginAccount" })
        );
        let zeros = vec![0u8; data.len()];
        assert_eq!(read::<Market>(&zeros, &backstop::ID).err(), Some(ReadError::WrongType { expected: "Market" }));
        let short = &data[..data.len() - 1];
        assert_eq!(
            read::<Market>(short, &backstop::ID).err(),
            Some(ReadError::TooShort { len: data.len() - 1, need: data.len() })
        );
        assert_eq!(ReadError::WrongType { expected: "Market" }.to_string(), "not a Backstop Market account");
    }
}
