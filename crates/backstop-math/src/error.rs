//! Every way Backstop refuses, in one list: [`backstop_errors!`] holds each error's name, its message and whether
//! the functional core can raise it. The core's [`MathError`], the program's `BackstopError` (Anchor codes
//! 6000 + position), and the off-chain decoder [`by_code`] are all generated from that list, so a name, a code and
//! a message are written once.

/// Anchor numbers a program's own errors from here.
pub const ERROR_CODE_OFFSET: u32 = 6000;

/// The one list of Backstop's errors, in ABI order: an error's code is 6000 + its position, so entries are only
/// ever appended. `core` errors are also [`MathError`] variants; `program` ones arise only in the program (account
/// checks, authorisation). Each entry: doc, kind, name, the message the program logs.
///
/// Invoke with the name of a macro in scope that takes the entries (`backstop_errors!(my_macro)`).
#[macro_export]
macro_rules! backstop_errors {
    ($callback:ident) => {
        $callback! {
        /// An intermediate or result left its integer range.
        core Overflow = "Arithmetic overflow";
        /// A division by zero (a zero denominator in a share price or a ratio).
        core DivisionByZero = "Division by zero";
        /// The oracle's aggregate status is not Trading.
        core OracleNotTrading = "Oracle price is not in Trading status";
        /// The oracle price is zero or negative.
        core OracleNonPositivePrice = "Oracle price is zero or negative";
        /// The oracle's publish time is older than the market allows.
        core OracleStale = "Oracle price is older than the market's maximum age";
        /// The oracle's confidence interval is too wide relative to its price.
        core OracleUncertain = "Oracle confidence interval is wider than the market allows";
        /// The oracle's publish time is older than the last price the market used.
        core OracleOutOfOrder = "Oracle publish time is older than the last price the market used";
        /// The oracle's exponent is outside what can be normalised.
        core OracleBadExponent = "Oracle exponent is outside the supported range";
        program OracleMismatch = "Oracle account is not the market's configured oracle";
        program OracleWrongOwner = "Oracle account is not owned by the expected oracle program";
        program OracleInvalidData = "Oracle account data is not a valid price account";
        program UnsupportedOracleKind = "Oracle kind is not supported";
        /// The LP pool is worth nothing or less: shares cannot be priced.
        core PoolInsolvent = "LP pool is worth nothing or less: shares cannot be priced";
        /// An order below the market's minimum size that does not close the position.
        core OrderTooSmall = "Order is below the market's minimum size and does not close the position";
        /// The market is reduce-only and the trade would increase risk.
        core MarketReduceOnly = "Market is reduce-only: the trade would increase risk";
        program MarketPaused = "Market is paused";
        /// The trade would take open interest on one side above the market's cap.
        core OpenInterestCapExceeded = "Trade would exceed the market's open-interest cap";
        /// The account would be below initial margin after a risk-increasing trade or a withdrawal.
        core InitialMarginBreached = "Account would be below initial margin";
        /// The LP pool would be below initial margin on its net position.
        core PoolMarginBreached = "LP pool would be below initial margin on its net position";
        /// The LP pool does not have that much free cash (its balance is owed to traders or backs a pending
        /// deficit).
        core InsufficientPoolLiquidity = "LP pool has not enough free cash";
        /// More collateral requested than the account holds as cash (profit is not cash until settled).
        core InsufficientCollateral =
            "Amount exceeds the account's collateral (profit is not withdrawable until settled)";
        /// More LP shares requested than the position holds.
        core InsufficientShares = "More LP shares requested than held";
        /// The account is bankrupt: only bankruptcy cover may touch it.
        core AccountBankrupt = "Account is bankrupt: only bankruptcy cover may touch it";
        /// A zero amount, or one too large for the books.
        core InvalidAmount = "Amount is zero or too large";
        /// Margin ratios must satisfy 0 < maintenance < initial <= 100 %.
        core InvalidMarginRatios = "Margin ratios must satisfy 0.5% <= maintenance < initial <= 100%";
        /// The liquidation penalty must be positive and strictly inside maintenance margin; the liquidator's share
        /// of it at most 100 %.
        core InvalidLiquidationPenalty =
            "Liquidation penalty must be positive and below maintenance margin; liquidator share at most 100%";
        /// The taker fee is above its ceiling.
        core InvalidTakerFee = "Taker fee is above its ceiling";
        /// The fee split (insurance fund, LP pool, treasury) must sum to 10 000 bps.
        core InvalidFeeSplit = "Fee split (fund, LP, treasury) must sum to 10000 bps";
        /// Oracle bounds: maximum age and maximum confidence must be positive and under their ceilings.
        core InvalidOracleBounds = "Oracle bounds (max age, max confidence) out of range";
        /// The execution spread (confidence scale) is above its ceiling.
        core InvalidExecutionSpread = "Execution spread (confidence scale) above its ceiling";
        /// Open-interest cap and minimum order size must be positive, the minimum no larger than the cap.
        core InvalidSizeLimits =
            "Open-interest cap and minimum order size must be positive, the minimum at most the cap";
        /// The share of unrealized profit counted toward initial margin must be at most 100 %.
        core InvalidProfitCap = "Unrealized profit cap must be at most 100%";
        program Unauthorized = "Signer is not the exchange's governance authority";
        program InvalidCollateralMint = "Collateral mint must have 6 decimals";
        program MintMismatch = "Token account or mint does not match the market's collateral mint";
        program TokenOwnerMismatch = "Token account is not owned by the signer";
        program VaultMismatch = "Vault does not match the market's or fund's vault";
        program MarketMismatch = "Account belongs to a different market";
        program FundMismatch = "Insurance fund does not match";
        program InvalidId = "Id is not the exchange's next free id";
        program InvalidTimelockDelay = "Timelock delay out of bounds";
        program VaultUndercollateralized = "Vault holds less than the program owes from it";
        program InitializerNotUpgradeAuthority = "Exchange initializer must be the program's upgrade authority";
        program AccountOwnerMismatch = "Margin account or LP position does not belong to the signer";
        program ConservationViolated = "Internal accounting changed the market's total liability without a transfer";
        /// The account is at or above maintenance margin (or flat): nothing to liquidate.
        core NotLiquidatable = "Account is at or above maintenance margin, or has no position: nothing to liquidate";
        /// The account is not bankrupt: nothing to cover.
        core NotBankrupt = "Account is not bankrupt: nothing to cover";
        program SelfLiquidation = "Liquidator and liquidated account must belong to different owners";
        /// Insurance-fund draw cap and window must be positive, the window at most 30 days.
        core InvalidFundDrawLimits = "Insurance fund draw cap and window must be positive, the window at most 30 days";
        program InvalidMarketList = "Pass the markets the fund backs, each once (unstake: every one of them)";
        program OracleDiscriminatorMismatch = "Oracle account's discriminator is not a PriceUpdateV2's";
        program OracleFeedMismatch = "Price update is for another Pyth feed than the market's";
        program OracleVerificationInsufficient = "Price update is less verified than the market requires";
        program InvalidOracleConfig =
            "Oracle configuration does not fit its kind (receiver and feed id are for pull oracles only, and required)";
        /// Funding coefficient and cap at most 1 %/hour, depth positive.
        core InvalidFundingParams = "Funding coefficient and cap must be at most 1%/hour and depth positive";
        /// Dynamic fee: floor ≤ base fee ≤ cap ≤ ceiling, coefficient and window in range.
        core InvalidDynamicFee =
            "Dynamic fee out of bounds: floor <= base fee <= cap <= 1%, coefficient and window in range";
        /// Dynamic fund share: base ≤ max ≤ what the LP (and a yielding treasury) can give; target ≤ 100 %.
        core InvalidFundShare =
            // One line: Anchor's `#[msg]` takes the literal's source text, so a `\` continuation would reach the chain.
            "Dynamic fund share out of bounds: base <= max <= what LP (and a yielding treasury) can give, target <= 100%";
        /// Circuit breaker thresholds, window and cooldown out of range.
        core InvalidCircuitBreaker = "Circuit breaker thresholds, window or cooldown out of range";
        program NotPendingAuthority = "Signer is not the pending authority";
        program NotGuardian = "Signer is neither the guardian nor governance";
        program GuardianCannotLoosen = "Only governance can make a market less restricted";
        program InvalidStatusTransition = "That status change is not allowed";
        /// A change of this kind is already queued: apply or cancel it first.
        core ChangeAlreadyQueued = "A change is already queued: apply or cancel it first";
        /// Nothing of this kind is queued.
        core NoQueuedChange = "No change is queued";
        /// The queued change's timelock has not elapsed.
        core TimelockNotElapsed = "The timelock has not elapsed";
        program MarketNotLive = "Market is not live yet (listing is timelocked)";
        program NoChange = "Nothing would change";
        /// Fund staking rules out of range.
        core InvalidFundParams =
            "Fund staking rules out of range (cooldown 1 h..30 d, vesting <= 30 d, gate 1..10000 bps per 1 h..30 d)";
        /// The stake position has a pending unstake request: cancel it first.
        core UnstakePending = "The stake position has a pending unstake request: cancel it first";
        /// The stake position has no unstake request.
        core NoUnstakeRequest = "The stake position has no unstake request";
        /// The unstake cooldown has not elapsed.
        core CooldownNotElapsed = "The unstake cooldown has not elapsed";
        /// The redemption gate has not reached this request yet: wait for the next window.
        core RedemptionGateFull = "The redemption gate has no room for this request now: wait for the next window";
        program AccountAlreadyInitialized = "An account already exists at that address";
        /// The oracle's price is further from its own EMA than the market allows.
        core OracleDivergedFromEma = "Oracle price is further from its EMA than the market allows";
        program DestinationIsVault = "A withdrawal cannot pay into the vault it comes from";
        /// The oracle's publish time is further ahead of the clock than skew explains.
        core OracleFromFuture = "Oracle publish time is further ahead of the clock than skew explains";
        /// A deficit awaits cover that the LP pool alone could not absorb: leaving now would dodge a share of a
        /// loss that already happened. `cover_bankruptcy` first (the client bundles it).
        core DeficitAwaitingCover =
            "A deficit awaits cover that the LP pool alone cannot absorb: cover_bankruptcy first, then withdraw";
        /// The LP position has no exit request: `request_lp_withdraw` first.
        core NoLpExitRequest = "The LP position has no exit request: request_lp_withdraw first";
        /// The LP exit delay has not elapsed since the request.
        core LpExitDelayNotElapsed = "The LP exit delay has not elapsed since the request";
        program NotTreasuryAccount = "The destination is not a token account of the exchange's treasury";
        /// The LP exit delay is outside 10 seconds ..= 7 days.
        core InvalidLpExitDelay = "LP exit delay must be 10 seconds to 7 days";
        /// The request is worth nothing now (the fund is about to pay out all it holds): it is kept, not burned.
        core NothingToRedeem = "The request is worth nothing until pending covers are paid: it is kept, not burned";
        /// A fill or a liquidation needs an oracle print no older than the market's `fill_max_age_secs`.
        core OracleTooOldToFill =
            "A fill or liquidation needs a fresher oracle print (fill_max_age_secs): post the latest update first";
        program OracleReceiverNotAllowed =
            "A pull oracle's receiver must be Pyth's or the one the exchange allow-lists";
        /// The stress parameters are out of bounds: 1 % ≤ shock floor ≤ shock cap ≤ 100 %, 0.1 to 10 σ, a horizon of
        /// 60 s ..= 7 days.
        core InvalidStressParams =
            "Stress parameters must satisfy 1% <= shock floor <= shock cap <= 100%, 0.1 to 10 sigmas, 60 s to 7 days";
        /// The trade adds risk and would lift the market's stressed deficit at the target shock above what the fund
        /// (within the market's draw cap) and the LP pool's equity can absorb. Reducing is always allowed.
        core StressedDeficitBeyondCapacity =
            "This trade would leave a crash deficit the fund and the LP pool could not absorb: trade smaller or reduce";
        /// The market's bankruptcy book is not whole yet (or not this program's): `extend_market_book` until it is.
        program MarketBookIncomplete = "The market's book is not fully allocated yet: send extend_market_book until it is";
        /// The market's bankruptcy book is already whole.
        program MarketBookComplete = "The market's book is already fully allocated";
        /// A fund asset has no usable price (stale, uncertain, out of order or off its EMA): a stake, an unstake
        /// request and an unstake are each priced against the whole fund and wait for one (post a fresh update).
        core FundAssetUnpriced = "A fund asset has no usable price: stakes and exits wait for one (post a fresh update)";
        /// A fund asset's parameters are out of bounds: haircut ≤ 90 %, auction discount start ≤ deepest ≤ haircut
        /// and ≤ 50 %, a step of 1 ..= 1 000 bps a minute, correlations ≤ 100 %, one per market, 0 to 12 decimals.
        core InvalidAssetParams = "Fund asset parameters out of range (haircut, auction discounts, correlations)";
        /// The backstop auction has nothing to sell to this bid: no deficit is open, or the bid buys not one atom.
        core NothingToAuction = "The backstop auction has nothing to sell for this bid";
        }
    };
}

/// One error as a client decodes it from a failed transaction's custom code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorInfo {
    pub code: u32,
    pub name: &'static str,
    pub message: &'static str,
    /// Whether the functional core raises it (a [`MathError`]) or only the program's account checks.
    pub core: bool,
}

macro_rules! define_error_table {
    ($( $(#[doc = $doc:tt])* $kind:ident $name:ident = $msg:tt; )*) => {
        /// Every error, by position (code − 6000).
        #[allow(clippy::enum_variant_names)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(u32)]
        enum Position { $( $name, )* }

        /// Every error, in ABI order.
        pub const ERRORS: &[ErrorInfo] = &[
            $( ErrorInfo {
                code: Position::$name as u32 + ERROR_CODE_OFFSET,
                name: stringify!($name),
                message: $msg,
                core: define_error_table!(@core $kind),
            }, )*
        ];
    };
    (@core core) => { true };
    (@core program) => { false };
}

// The core's errors are the list's `core` entries: each keeps its code, so the program converts by position.
macro_rules! define_math_error {
    (@munch [$($variants:tt)*] [$($codes:tt)*]) => {
        /// A reason the functional core refuses an input. Each is also a program error with the same name and code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum MathError { $($variants)* }

        impl MathError {
            /// The program's error code for this refusal.
            pub const fn code(self) -> u32 {
                (match self { $($codes)* }) as u32 + ERROR_CODE_OFFSET
            }
        }
    };
    (@munch [$($variants:tt)*] [$($codes:tt)*] $(#[doc = $doc:tt])* core $name:ident = $msg:tt; $($rest:tt)*) => {
        define_math_error!(
            @munch [$($variants)* $(#[doc = $doc])* $name,] [$($codes)* MathError::$name => Position::$name,]
            $($rest)*
        );
    };
    (@munch [$($variants:tt)*] [$($codes:tt)*] $(#[doc = $doc:tt])* program $name:ident = $msg:tt; $($rest:tt)*) => {
        define_math_error!(@munch [$($variants)*] [$($codes)*] $($rest)*);
    };
    ($($entries:tt)*) => {
        define_math_error!(@munch [] [] $($entries)*);
    };
}

backstop_errors!(define_error_table);
backstop_errors!(define_math_error);

/// The error a program custom code names, if it is one of Backstop's.
pub fn by_code(code: u32) -> Option<&'static ErrorInfo> {
    ERRORS.get(usize::try_from(code.checked_sub(ERROR_CODE_OFFSET)?).ok()?)
}

impl MathError {
    /// This refusal's entry in the list.
    pub fn info(self) -> &'static ErrorInfo {
        // Every variant is generated from an entry, so its position is in range; the first entry is a fallback
        // no caller can reach.
        by_code(self.code()).unwrap_or(&ERRORS[0])
    }
}

impl core::fmt::Display for MathError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.info().message)
    }
}

pub type MathResult<T> = core::result::Result<T, MathError>;

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;
    use std::string::ToString;

    #[test]
    fn codes_are_positions_and_names_are_unique() {
        for (position, info) in ERRORS.iter().enumerate() {
            assert_eq!(by_code(info.code), Some(info));
            assert_eq!(Ok(info.code - ERROR_CODE_OFFSET), u32::try_from(position));
            assert_eq!(ERRORS.iter().filter(|other| other.name == info.name).count(), 1, "{}", info.name);
        }
        assert_eq!(by_code(5999), None);
        assert_eq!(by_code(ERROR_CODE_OFFSET + u32::try_from(ERRORS.len()).unwrap_or(u32::MAX)), None);
    }

    #[test]
    fn a_core_error_keeps_its_name_and_code() {
        for error in [MathError::Overflow, MathError::OracleTooOldToFill, MathError::TimelockNotElapsed] {
            let info = error.info();
            assert!(info.core);
            assert_eq!(info.name, format!("{error:?}"));
            assert_eq!(error.to_string(), info.message);
        }
        assert_eq!(MathError::Overflow.code(), 6000);
    }
}
