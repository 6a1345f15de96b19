//! Every way the math can refuse. The program maps each variant to its own `BackstopError` code.

/// A reason the functional core refuses an input. Each has one program error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MathError {
    /// An intermediate or result left its integer range.
    Overflow,
    /// A division by zero (a zero denominator in a share price or a ratio).
    DivisionByZero,
    /// The oracle's aggregate status is not Trading.
    OracleNotTrading,
    /// The oracle price is zero or negative.
    OracleNonPositivePrice,
    /// The oracle's publish time is older than the market allows.
    OracleStale,
    /// The oracle's confidence interval is too wide relative to its price.
    OracleUncertain,
    /// The oracle's publish time is older than the last price the market used.
    OracleOutOfOrder,
    /// The oracle's exponent is outside what can be normalised.
    OracleBadExponent,
    /// The oracle's price is further from its own EMA than the market allows.
    OracleDivergedFromEma,
    /// The LP pool is worth nothing or less: shares cannot be priced.
    PoolInsolvent,
    /// An order below the market's minimum size that does not close the position.
    OrderTooSmall,
    /// The market is reduce-only and the trade would increase risk.
    MarketReduceOnly,
    /// The trade would take open interest on one side above the market's cap.
    OpenInterestCapExceeded,
    /// The account would be below initial margin after a risk-increasing trade or a withdrawal.
    InitialMarginBreached,
    /// The LP pool would be below initial margin on its net position.
    PoolMarginBreached,
    /// The LP pool does not have that much free cash (its balance is owed to traders or backs a pending deficit).
    InsufficientPoolLiquidity,
    /// More collateral requested than the account holds as cash (profit is not cash until settled).
    InsufficientCollateral,
    /// More LP shares requested than the position holds.
    InsufficientShares,
    /// The account is bankrupt: only bankruptcy cover may touch it.
    AccountBankrupt,
    /// A zero amount, or one too large for the books.
    InvalidAmount,
    /// The account is at or above maintenance margin (or flat): nothing to liquidate.
    NotLiquidatable,
    /// The account is not bankrupt: nothing to cover.
    NotBankrupt,
    /// Insurance-fund draw cap and window must be positive, the window at most 30 days.
    InvalidFundDrawLimits,
    /// Funding coefficient and cap at most 1 %/hour, depth positive.
    InvalidFundingParams,
    /// Dynamic fee: floor ≤ base fee ≤ cap ≤ ceiling, coefficient and window in range.
    InvalidDynamicFee,
    /// Dynamic fund share: base ≤ max ≤ what the LP (and a yielding treasury) can give; target ≤ 100 %.
    InvalidFundShare,
    /// Circuit breaker thresholds, window and cooldown out of range.
    InvalidCircuitBreaker,
    /// Fund staking rules out of range.
    InvalidFundParams,
    /// The stake position has a pending unstake request: cancel it first.
    UnstakePending,
    /// The stake position has no unstake request.
    NoUnstakeRequest,
    /// The unstake cooldown has not elapsed.
    CooldownNotElapsed,
    /// The redemption gate has not reached this request yet: wait for the next window.
    RedemptionGateFull,
    /// Margin ratios must satisfy 0 < maintenance < initial <= 100 %.
    InvalidMarginRatios,
    /// The liquidation penalty must be positive and strictly inside maintenance margin; the liquidator's share of
    /// it at most 100 %.
    InvalidLiquidationPenalty,
    /// The taker fee is above its ceiling.
    InvalidTakerFee,
    /// The fee split (insurance fund, LP pool, treasury) must sum to 10 000 bps.
    InvalidFeeSplit,
    /// Oracle bounds: maximum age and maximum confidence must be positive and under their ceilings.
    InvalidOracleBounds,
    /// The execution spread (confidence scale) is above its ceiling.
    InvalidExecutionSpread,
    /// Open-interest cap and minimum order size must be positive, the minimum no larger than the cap.
    InvalidSizeLimits,
    /// The share of unrealized profit counted toward initial margin must be at most 100 %.
    InvalidProfitCap,
    /// The oracle's publish time is further ahead of the clock than skew explains.
    OracleFromFuture,
    /// A deficit awaits cover that the LP pool alone could not absorb: leaving now would dodge a share of a
    /// loss that already happened. `cover_bankruptcy` first (the client bundles it).
    DeficitAwaitingCover,
    /// The LP position has no exit request: `request_lp_withdraw` first.
    NoLpExitRequest,
    /// The LP exit delay has not elapsed since the request.
    LpExitDelayNotElapsed,
    /// The LP exit delay is outside 10 seconds ..= 7 days.
    InvalidLpExitDelay,
    /// The request is worth nothing now (the fund is about to pay out all it holds): it is kept, not burned.
    NothingToRedeem,
    /// A fill or a liquidation needs an oracle print no older than the market's `fill_max_age_secs`.
    OracleTooOldToFill,
    /// A change of this kind is already queued: apply or cancel it first.
    ChangeAlreadyQueued,
    /// Nothing of this kind is queued.
    NoQueuedChange,
    /// The queued change's timelock has not elapsed.
    TimelockNotElapsed,
}

pub type MathResult<T> = core::result::Result<T, MathError>;
