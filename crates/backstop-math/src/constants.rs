//! Every precision in Backstop, named once.

/// Prices are quote units per base unit with 6 decimals (expo = -6).
pub const PRICE_PRECISION: i64 = 1_000_000;
/// The exponent that [`PRICE_PRECISION`] stands for.
pub const PRICE_EXPO: i32 = -6;
/// A fund asset's price is quote units per whole token with 12 decimals (expo = -12): fine enough for a token
/// worth a millionth of a dollar (BONK) to keep six significant digits, wide enough for $9 million a token.
pub const ASSET_PRICE_PRECISION: i64 = 1_000_000_000_000;
/// The exponent that [`ASSET_PRICE_PRECISION`] stands for.
pub const ASSET_PRICE_EXPO: i32 = -12;
/// Position sizes are base units with 9 decimals (expo = -9).
pub const BASE_PRECISION: i64 = 1_000_000_000;
/// [`BASE_PRECISION`] as an unsigned size (open-interest caps and order sizes are unsigned).
pub const BASE_PRECISION_U64: u64 = 1_000_000_000;
const _: () = assert!(BASE_PRECISION_U64.cast_signed() == BASE_PRECISION);
/// Quote amounts are atoms of the collateral token, which must have [`QUOTE_DECIMALS`] decimals (USDC, USDT).
pub const QUOTE_PRECISION: i64 = 1_000_000;
/// Decimals the collateral mint must have, so that one quote atom is one token atom.
pub const QUOTE_DECIMALS: u8 = 6;
/// Ratios and fee rates are basis points: 10_000 = 100 %.
pub const BPS_DENOMINATOR: i64 = 10_000;

/// Virtual shares and assets added to every share-price computation (the OpenZeppelin ERC-4626 offset): the first
/// depositor cannot be front-run by a donation that rounds their shares to zero, since a donation would have to be
/// `VIRTUAL_SHARES` times larger than the loss it inflicts.
pub const VIRTUAL_SHARES: u64 = 1_000;
/// See [`VIRTUAL_SHARES`]. Precision: QUOTE_PRECISION.
pub const VIRTUAL_ASSETS: u64 = 1;

/// Quote atoms per (base atom × price atom): notional = base × price / NOTIONAL_DIVISOR.
/// Since PRICE_PRECISION == QUOTE_PRECISION this is BASE_PRECISION.
pub const NOTIONAL_DIVISOR: i128 = (BASE_PRECISION as i128) * (PRICE_PRECISION as i128) / (QUOTE_PRECISION as i128);
