//! Every way Backstop refuses, one code each (6000 + index: the order is ABI, append only).

use anchor_lang::prelude::*;
use backstop_math::MathError;

#[error_code]
pub enum BackstopError {
    #[msg("Arithmetic overflow")]
    Overflow,
    #[msg("Division by zero")]
    DivisionByZero,
    #[msg("Oracle price is not in Trading status")]
    OracleNotTrading,
    #[msg("Oracle price is zero or negative")]
    OracleNonPositivePrice,
    #[msg("Oracle price is older than the market's maximum age")]
    OracleStale,
    #[msg("Oracle confidence interval is wider than the market allows")]
    OracleUncertain,
    #[msg("Oracle publish time is older than the last price the market used")]
    OracleOutOfOrder,
    #[msg("Oracle exponent is outside the supported range")]
    OracleBadExponent,
    #[msg("Oracle account is not the market's configured oracle")]
    OracleMismatch,
    #[msg("Oracle account is not owned by the expected oracle program")]
    OracleWrongOwner,
    #[msg("Oracle account data is not a valid price account")]
    OracleInvalidData,
    #[msg("Oracle kind is not supported")]
    UnsupportedOracleKind,
    #[msg("LP pool is worth nothing or less: shares cannot be priced")]
    PoolInsolvent,
    #[msg("Order is below the market's minimum size and does not close the position")]
    OrderTooSmall,
    #[msg("Market is reduce-only: the trade would increase risk")]
    MarketReduceOnly,
    #[msg("Market is paused")]
    MarketPaused,
    #[msg("Trade would exceed the market's open-interest cap")]
    OpenInterestCapExceeded,
    #[msg("Account would be below initial margin")]
    InitialMarginBreached,
    #[msg("LP pool would be below initial margin on its net position")]
    PoolMarginBreached,
    #[msg("LP pool has not enough free cash")]
    InsufficientPoolLiquidity,
    #[msg("Amount exceeds the account's collateral (profit is not withdrawable until settled)")]
    InsufficientCollateral,
    #[msg("More LP shares requested than held")]
    InsufficientShares,
    #[msg("Account is bankrupt: only bankruptcy cover may touch it")]
    AccountBankrupt,
    #[msg("Amount is zero or too large")]
    InvalidAmount,
    #[msg("Margin ratios must satisfy 0.5% <= maintenance < initial <= 100%")]
    InvalidMarginRatios,
    #[msg("Liquidation penalty must be positive and below maintenance margin; liquidator share at most 100%")]
    InvalidLiquidationPenalty,
    #[msg("Taker fee is above its ceiling")]
    InvalidTakerFee,
    #[msg("Fee split (fund, LP, treasury) must sum to 10000 bps")]
    InvalidFeeSplit,
    #[msg("Oracle bounds (max age, max confidence) out of range")]
    InvalidOracleBounds,
    #[msg("Execution spread (confidence scale) above its ceiling")]
    InvalidExecutionSpread,
    #[msg("Open-interest cap and minimum order size must be positive, the minimum at most the cap")]
    InvalidSizeLimits,
    #[msg("Unrealized profit cap must be at most 100%")]
    InvalidProfitCap,
    #[msg("Signer is not the exchange's governance authority")]
    Unauthorized,
    #[msg("Collateral mint must have 6 decimals")]
    InvalidCollateralMint,
    #[msg("Token account or mint does not match the market's collateral mint")]
    MintMismatch,
    #[msg("Token account is not owned by the signer")]
    TokenOwnerMismatch,
    #[msg("Vault does not match the market's or fund's vault")]
    VaultMismatch,
    #[msg("Account belongs to a different market")]
    MarketMismatch,
    #[msg("Insurance fund does not match")]
    FundMismatch,
    #[msg("Id is not the exchange's next free id")]
    InvalidId,
    #[msg("Timelock delay out of bounds")]
    InvalidTimelockDelay,
    #[msg("Vault holds less than the program owes from it")]
    VaultUndercollateralized,
    #[msg("Exchange initializer must be the program's upgrade authority")]
    InitializerNotUpgradeAuthority,
    #[msg("Margin account or LP position does not belong to the signer")]
    AccountOwnerMismatch,
    #[msg("Internal accounting changed the market's total liability without a transfer")]
    ConservationViolated,
    #[msg("Account is at or above maintenance margin, or has no position: nothing to liquidate")]
    NotLiquidatable,
    #[msg("Account is not bankrupt: nothing to cover")]
    NotBankrupt,
    #[msg("Liquidator and liquidated account must belong to different owners")]
    SelfLiquidation,
    #[msg("Insurance fund draw cap and window must be positive, the window at most 30 days")]
    InvalidFundDrawLimits,
    #[msg("Pass the markets the fund backs, each once (unstake: every one of them)")]
    InvalidMarketList,
    #[msg("Oracle account's discriminator is not a PriceUpdateV2's")]
    OracleDiscriminatorMismatch,
    #[msg("Price update is for another Pyth feed than the market's")]
    OracleFeedMismatch,
    #[msg("Price update is less verified than the market requires")]
    OracleVerificationInsufficient,
    #[msg("Oracle configuration does not fit its kind (receiver and feed id are for pull oracles only, and required)")]
    InvalidOracleConfig,
    #[msg("Funding coefficient and cap must be at most 1%/hour and depth positive")]
    InvalidFundingParams,
    #[msg("Dynamic fee out of bounds: floor <= base fee <= cap <= 1%, coefficient and window in range")]
    InvalidDynamicFee,
    #[msg(
        "Dynamic fund share out of bounds: base <= max <= what LP (and a yielding treasury) can give, target <= 100%"
    )]
    InvalidFundShare,
    #[msg("Circuit breaker thresholds, window or cooldown out of range")]
    InvalidCircuitBreaker,
    #[msg("Signer is not the pending authority")]
    NotPendingAuthority,
    #[msg("Signer is neither the guardian nor governance")]
    NotGuardian,
    #[msg("Only governance can make a market less restricted")]
    GuardianCannotLoosen,
    #[msg("That status change is not allowed")]
    InvalidStatusTransition,
    #[msg("A change is already queued: apply or cancel it first")]
    ChangeAlreadyQueued,
    #[msg("No change is queued")]
    NoQueuedChange,
    #[msg("The timelock has not elapsed")]
    TimelockNotElapsed,
    #[msg("Market is not live yet (listing is timelocked)")]
    MarketNotLive,
    #[msg("Nothing would change")]
    NoChange,
    #[msg("Fund staking rules out of range (cooldown 1 h..30 d, vesting <= 30 d, gate 1..10000 bps per 1 h..30 d)")]
    InvalidFundParams,
    #[msg("The stake position has a pending unstake request: cancel it first")]
    UnstakePending,
    #[msg("The stake position has no unstake request")]
    NoUnstakeRequest,
    #[msg("The unstake cooldown has not elapsed")]
    CooldownNotElapsed,
    #[msg("The redemption gate has no room for this request now: wait for the next window")]
    RedemptionGateFull,
    #[msg("An account already exists at that address")]
    AccountAlreadyInitialized,
    #[msg("Oracle price is further from its EMA than the market allows")]
    OracleDivergedFromEma,
    #[msg("A withdrawal cannot pay into the vault it comes from")]
    DestinationIsVault,
    #[msg("Oracle publish time is further ahead of the clock than skew explains")]
    OracleFromFuture,
    #[msg("A deficit awaits cover that the LP pool alone cannot absorb: cover_bankruptcy first, then withdraw")]
    DeficitAwaitingCover,
    #[msg("The LP position has no exit request: request_lp_withdraw first")]
    NoLpExitRequest,
    #[msg("The LP exit delay has not elapsed since the request")]
    LpExitDelayNotElapsed,
    #[msg("The destination is not a token account of the exchange's treasury")]
    NotTreasuryAccount,
    #[msg("LP exit delay must be 10 seconds to 7 days")]
    InvalidLpExitDelay,
    #[msg("The request is worth nothing until pending covers are paid: it is kept, not burned")]
    NothingToRedeem,
    #[msg("A fill or liquidation needs a fresher oracle print (fill_max_age_secs): post the latest update first")]
    OracleTooOldToFill,
    #[msg("A pull oracle's receiver must be Pyth's or the one the exchange allow-lists")]
    OracleReceiverNotAllowed,
}

impl From<MathError> for BackstopError {
    fn from(error: MathError) -> Self {
        match error {
            MathError::Overflow => Self::Overflow,
            MathError::DivisionByZero => Self::DivisionByZero,
            MathError::OracleNotTrading => Self::OracleNotTrading,
            MathError::OracleNonPositivePrice => Self::OracleNonPositivePrice,
            MathError::OracleStale => Self::OracleStale,
            MathError::OracleUncertain => Self::OracleUncertain,
            MathError::OracleOutOfOrder => Self::OracleOutOfOrder,
            MathError::OracleBadExponent => Self::OracleBadExponent,
            MathError::OracleDivergedFromEma => Self::OracleDivergedFromEma,
            MathError::PoolInsolvent => Self::PoolInsolvent,
            MathError::OrderTooSmall => Self::OrderTooSmall,
            MathError::MarketReduceOnly => Self::MarketReduceOnly,
            MathError::OpenInterestCapExceeded => Self::OpenInterestCapExceeded,
            MathError::InitialMarginBreached => Self::InitialMarginBreached,
            MathError::PoolMarginBreached => Self::PoolMarginBreached,
            MathError::InsufficientPoolLiquidity => Self::InsufficientPoolLiquidity,
            MathError::InsufficientCollateral => Self::InsufficientCollateral,
            MathError::InsufficientShares => Self::InsufficientShares,
            MathError::AccountBankrupt => Self::AccountBankrupt,
            MathError::InvalidAmount => Self::InvalidAmount,
            MathError::InvalidMarginRatios => Self::InvalidMarginRatios,
            MathError::InvalidLiquidationPenalty => Self::InvalidLiquidationPenalty,
            MathError::InvalidTakerFee => Self::InvalidTakerFee,
            MathError::InvalidFeeSplit => Self::InvalidFeeSplit,
            MathError::InvalidOracleBounds => Self::InvalidOracleBounds,
            MathError::InvalidExecutionSpread => Self::InvalidExecutionSpread,
            MathError::InvalidSizeLimits => Self::InvalidSizeLimits,
            MathError::InvalidProfitCap => Self::InvalidProfitCap,
            MathError::NotLiquidatable => Self::NotLiquidatable,
            MathError::NotBankrupt => Self::NotBankrupt,
            MathError::InvalidFundDrawLimits => Self::InvalidFundDrawLimits,
            MathError::InvalidFundingParams => Self::InvalidFundingParams,
            MathError::InvalidDynamicFee => Self::InvalidDynamicFee,
            MathError::InvalidFundShare => Self::InvalidFundShare,
            MathError::InvalidCircuitBreaker => Self::InvalidCircuitBreaker,
            MathError::InvalidFundParams => Self::InvalidFundParams,
            MathError::UnstakePending => Self::UnstakePending,
            MathError::NoUnstakeRequest => Self::NoUnstakeRequest,
            MathError::CooldownNotElapsed => Self::CooldownNotElapsed,
            MathError::RedemptionGateFull => Self::RedemptionGateFull,
            MathError::OracleFromFuture => Self::OracleFromFuture,
            MathError::DeficitAwaitingCover => Self::DeficitAwaitingCover,
            MathError::NoLpExitRequest => Self::NoLpExitRequest,
            MathError::LpExitDelayNotElapsed => Self::LpExitDelayNotElapsed,
            MathError::InvalidLpExitDelay => Self::InvalidLpExitDelay,
            MathError::NothingToRedeem => Self::NothingToRedeem,
            MathError::OracleTooOldToFill => Self::OracleTooOldToFill,
            MathError::ChangeAlreadyQueued => Self::ChangeAlreadyQueued,
            MathError::NoQueuedChange => Self::NoQueuedChange,
            MathError::TimelockNotElapsed => Self::TimelockNotElapsed,
        }
    }
}

/// Turns a functional-core result into a program result, logging where the refusal surfaced.
pub trait OrReject<T> {
    fn or_reject(self) -> Result<T>;
}

impl<T> OrReject<T> for core::result::Result<T, MathError> {
    #[track_caller]
    fn or_reject(self) -> Result<T> {
        let location = core::panic::Location::caller();
        self.map_err(|error| {
            msg!("rejected: {:?} at {}:{}", error, location.file(), location.line());
            BackstopError::from(error).into()
        })
    }
}
