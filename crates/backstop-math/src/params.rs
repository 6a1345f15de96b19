//! A market's risk parameters and their hard bounds. The same struct is stored in the market
//! account (Pod) and passed to instructions (Borsh, behind the `borsh` feature), so there is one definition.

use crate::constants::BPS_DENOMINATOR;
use crate::error::{MathError, MathResult};
use bytemuck::{Pod, Zeroable};

/// Highest taker fee governance may set: 1 %.
pub const MAX_TAKER_FEE_BPS: u32 = 100;
/// Widest confidence a market may accept: 10 % of price.
pub const MAX_ORACLE_CONF_BPS: u32 = 1_000;
/// Oldest price a market may accept: 5 minutes.
pub const MAX_ORACLE_AGE_SECS: u32 = 300;
/// Largest execution spread: 3 confidence intervals.
pub const MAX_EXEC_CONF_SCALE_BPS: u32 = 30_000;
/// Longest fund draw window: 30 days.
pub const MAX_FUND_DRAW_WINDOW_SECS: u32 = 30 * 24 * 3600;
/// Largest fee-volatility coefficient.
pub const MAX_FEE_VOL_COEFFICIENT: u32 = 100_000;
/// Longest volatility window, breaker window and cooldown: 7 days.
pub const MAX_WINDOW_SECS: u32 = 7 * 24 * 3600;
/// Highest funding coefficient and cap: 1 % of notional per hour.
pub const MAX_FUNDING_PPM: u32 = 10_000;
/// Shortest and longest LP exit delay: 10 seconds (several keeper rounds) to 7 days.
pub const MIN_LP_EXIT_DELAY_SECS: u32 = 10;

/// Youngest print bound a fill may be held to (unless the oracle's own bound is tighter): clock skew between the
/// validator and the publishers, plus the time an update takes to land.
pub const MIN_FILL_AGE_SECS: u32 = 10;

/// Smallest stress shock floor: 1 % (a smaller gap measures nothing a maintenance margin would not catch).
pub const MIN_STRESS_SHOCK_BPS: u32 = 100;
/// Most standard deviations the target shock may be set at: 10.
pub const MAX_STRESS_SIGMAS_TENTHS: u32 = 100;

/// Loosest maintenance margin a market may have: 0.5 % (200x is where oracle noise alone liquidates).
pub const MIN_MAINTENANCE_MARGIN_BPS: u32 = 50;

/// The direction, and the limit, in which a parameter may move without the timelock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safe {
    Up,
    Down,
    /// Down to no less than half and not below the floor, one step per window.
    DownToHalf(u64),
    /// Up to at most double, one step per window.
    UpToDouble,
    /// Any change waits: it moves value from one party to another.
    Never,
}

/// One parameter: its name, its doc, and its rule.
pub struct Rule {
    pub name: &'static str,
    /// The field's doc comment, as written (`Rule::description` trims it).
    pub doc: &'static str,
    pub read: fn(&MarketParams) -> u64,
    /// Sets the field to a value read from another parameter set (so it always fits the field's type).
    pub write: fn(&mut MarketParams, u64),
    pub safe: Safe,
}

impl Rule {
    /// What the parameter means.
    pub fn description(&self) -> &'static str {
        self.doc.trim()
    }
}

/// The rule in words, for `backstop params` and docs/parameters.md.
impl core::fmt::Display for Safe {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Up => f.write_str("a rise applies at once; a cut waits for the timelock"),
            Self::Down => f.write_str("a cut applies at once; a rise waits for the timelock"),
            Self::DownToHalf(floor) => write!(
                f,
                "a cut to no less than half (and not below {floor}) applies at once, one step a day; else it waits"
            ),
            Self::UpToDouble => f.write_str("a rise to at most double applies at once, one step a day; else it waits"),
            Self::Never => f.write_str("always waits for the timelock"),
        }
    }
}

/// Floors for immediate cuts: 1 % of confidence, 10 seconds of age (a pull feed prints every ~0.4 s).
pub const MIN_IMMEDIATE_ORACLE_CONF_BPS: u64 = 100;
pub const MIN_IMMEDIATE_ORACLE_AGE_SECS: u64 = 10;

/// The one table of market parameters. Each entry: what the parameter means (its doc), its field type, and the
/// direction in which it may move without the timelock ([`Safe`], with why in a comment). From it come the
/// [`MarketParams`] struct (stored Pod in the market, passed Borsh to instructions), [`RULES`] (names, docs,
/// reading and writing by name, the timelock rule), the CLI's `--set name=value` and `backstop params`, and
/// docs/parameters.md. Field order is the account layout: append only.
macro_rules! market_params {
    ($( $(#[doc = $doc:tt])* $field:ident : $ty:ty = $safe:expr; )*) => {
        crate::idl_struct! {
            /// Risk parameters of one market. Every ratio is in basis points (10 000 = 100 %).
            #[repr(C)]
            #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
            #[cfg_attr(feature = "borsh", derive(borsh::BorshSerialize, borsh::BorshDeserialize))]
            pub struct MarketParams { $( $(#[doc = $doc])* pub $field: $ty, )* }
        }

        /// Every market parameter, in field order.
        pub const RULES: &[Rule] = &[ $( Rule {
            name: stringify!($field),
            doc: concat!($($doc),*),
            read: |p| u64::from(p.$field),
            write: |p, value| p.$field = value.try_into().unwrap_or(p.$field),
            safe: $safe,
        }, )* ];
    };
}

market_params! {
    /// Equity / notional that must hold after any risk-increasing trade or withdrawal.
    /// Bounds: maintenance < initial ≤ 10 000.
    initial_margin_bps: u32 = Safe::Never;
    /// Below this equity / notional an account is liquidatable.
    /// Bounds: 50 ≤ maintenance < initial.
    maintenance_margin_bps: u32 = Safe::Never;
    /// Penalty on liquidated notional, paid from the liquidated account's collateral.
    /// Bounds: 0 < penalty < maintenance margin (a liquidation at the boundary never creates bad debt by itself).
    liquidation_penalty_bps: u32 = Safe::Never;
    /// Liquidator's share of the penalty; the rest goes to the insurance fund.
    /// Bounds: ≤ 10 000.
    liquidator_reward_share_bps: u32 = Safe::Never;
    /// Taker fee on every fill's notional.
    /// Bounds: fee_floor_bps ≤ taker fee ≤ fee_cap_bps ≤ 100.
    taker_fee_bps: u32 = Safe::Never;
    /// Insurance fund's share of each fee.
    /// Bounds: the three fee shares sum to 10 000.
    fee_fund_share_bps: u32 = Safe::Never;
    /// LP pool's share of each fee.
    /// Bounds: the three fee shares sum to 10 000.
    fee_lp_share_bps: u32 = Safe::Never;
    /// Treasury's share of each fee.
    /// Bounds: the three fee shares sum to 10 000.
    fee_treasury_share_bps: u32 = Safe::Never;
    /// Fills move against the taker by this many bps of the oracle confidence interval.
    /// Bounds: ≤ 30 000.
    exec_conf_scale_bps: u32 = Safe::Never;
    /// Widest oracle confidence accepted, as bps of price.
    /// Bounds: 1 ..= 1 000.
    oracle_max_conf_bps: u32 = Safe::DownToHalf(MIN_IMMEDIATE_ORACLE_CONF_BPS);
    /// Oldest oracle publish time accepted, in seconds.
    /// Bounds: 1 ..= 300.
    oracle_max_age_secs: u32 = Safe::DownToHalf(MIN_IMMEDIATE_ORACLE_AGE_SECS);
    /// Share of the account's collateral up to which unrealized (and unsettled) profit counts toward initial
    /// margin. Profit never counts as withdrawable cash.
    /// Bounds: ≤ 10 000.
    // Only initial margin counts unrealized profit: nothing becomes liquidatable.
    unrealized_profit_cap_bps: u32 = Safe::Down;
    /// Largest open interest per side. precision: BASE_PRECISION.
    /// Bounds: min_order_size ≤ cap ≤ i64::MAX.
    max_open_interest: u64 = Safe::Down;
    /// Smallest order, except one that closes a position outright. precision: BASE_PRECISION.
    /// Bounds: 0 < minimum ≤ max_open_interest.
    min_order_size: u64 = Safe::UpToDouble;
    /// Most this market may draw from its insurance fund per window, so one market cannot drain a fund that backs
    /// several. precision: QUOTE_PRECISION.
    /// What counts as drawn fades linearly over the window, each draw restarting the fade from the new total: at
    /// most the cap at once, room back no faster than the cap per window. Bounds: > 0.
    fund_draw_cap: u64 = Safe::Never;
    /// Length of the draw window, in seconds.
    /// Bounds: 1 ..= 30 days.
    fund_draw_window_secs: u32 = Safe::Never;
    /// Funding rate at full open-interest skew, in parts per million of notional per hour.
    /// Bounds: ≤ 10 000 (1 % an hour).
    funding_coefficient_ppm: u32 = Safe::Never;
    /// Largest funding rate either way, in parts per million of notional per hour.
    /// Bounds: ≤ 10 000 (1 % an hour).
    funding_cap_ppm: u32 = Safe::Never;
    /// Seconds between an LP's exit request and the exit, which pays the lesser of the shares' value at request and
    /// at exit. Longer than a keeper round, so a loss already visible at request (an account underwater but not yet
    /// liquidated) is recognised before the LP leaves.
    /// Bounds: 10 s ..= 7 days.
    // A longer exit delay protects the LPs who stay, but it also holds every new request to the lesser of two
    // values for longer: at most double at once. A request already made keeps the delay it was made under.
    lp_exit_delay_secs: u32 = Safe::UpToDouble;
    /// Open interest below which skew is measured against this depth instead, so a thin market's first trade does
    /// not pay the full rate. precision: BASE_PRECISION.
    /// Bounds: 0 < depth ≤ i64::MAX.
    funding_depth: u64 = Safe::Never;
    /// Dynamic fee: `taker_fee_bps + fee_vol_coefficient × volatility_ppm / 10⁷`, clamped to [floor, cap] (bps);
    /// this is the floor.
    /// Bounds: floor ≤ taker_fee_bps.
    fee_floor_bps: u32 = Safe::Never;
    /// Ceiling of the dynamic fee, bps (at most 1 %).
    /// Bounds: taker_fee_bps ≤ cap ≤ 100.
    fee_cap_bps: u32 = Safe::Never;
    /// 1 000 adds 1 bps of fee per 1 % of realised volatility (standard deviation of returns over one window, from
    /// a variance rate that does not depend on how often the oracle is read).
    /// Bounds: ≤ 100 000.
    fee_vol_coefficient: u32 = Safe::Never;
    /// Time constant of the variance-rate estimate, and the horizon volatility is quoted over, in seconds.
    /// Bounds: 60 s ..= 7 days.
    volatility_window_secs: u32 = Safe::Never;
    /// Dynamic fund share: the fund's fee share rises linearly to this as its coverage falls from the target to 0,
    /// or as its adequacy (balance ÷ the market's stressed deficit at the target shock) falls from 1 to 0,
    /// whichever asks for more.
    /// Bounds: fee_fund_share_bps ≤ max ≤ the fund and LP shares (and the treasury's, if it yields).
    fund_share_max_bps: u32 = Safe::Never;
    /// Fund balance ÷ open-interest notional below which the fund's share rises, in bps.
    /// Bounds: ≤ 10 000.
    coverage_target_bps: u32 = Safe::Never;
    /// 1 if the treasury's share gives way too (after the LP's), 0 if only the LP's does.
    /// Bounds: 0 or 1.
    treasury_yields_to_fund: u32 = Safe::Never;
    /// Circuit breaker: reduce-only when confidence exceeds this (bps of price; 0 disables this trigger).
    /// Bounds: ≤ 1 000.
    // A breaker threshold of 0 disables that trigger, so neither direction is safe.
    breaker_conf_bps: u32 = Safe::Never;
    /// Circuit breaker: reduce-only when the price moved more than this (bps) within `breaker_window_secs` (0
    /// disables this trigger).
    /// Bounds: ≤ 10 000.
    breaker_move_bps: u32 = Safe::Never;
    /// Circuit breaker: the window over which `breaker_move_bps` is measured, seconds.
    /// Bounds: 1 s ..= 7 days.
    breaker_window_secs: u32 = Safe::Never;
    /// Seconds of calm after which a tripped breaker clears.
    /// Bounds: 1 s ..= 7 days.
    breaker_cooldown_secs: u32 = Safe::Never;
    /// Band around the oracle's own EMA, bps (0 disables): beyond it a print cannot add risk or take value out, a
    /// reduction fills at the worse of print and EMA, and liquidations run at the band's edge (`oracle_view`).
    /// Bounds: ≤ 10 000.
    // 0 disables the guard, so neither direction is safe.
    oracle_max_ema_divergence_bps: u32 = Safe::Never;
    /// Pull oracles only: a fill or an LP flow needs a print at most this old, seconds (10, or
    /// `oracle_max_age_secs` if smaller, ..= `liquidation_max_age_secs`). Anyone may post any verified update newer than the stored one: without this
    /// bound a taker could open at the best print of the last `oracle_max_age_secs` and close at the latest (a free
    /// option on the pool), or exit at a stale one. At least 10 s: clock skew between the validator and the
    /// publishers plus landing time must never make every fill fail.
    // Bounded below by `MIN_FILL_AGE_SECS` in the parameters themselves.
    fill_max_age_secs: u32 = Safe::Down;
    /// Pull oracles only: a liquidation needs a print at most this old, seconds (`fill_max_age_secs` ..=
    /// `oracle_max_age_secs`): looser than a fill's, since liquidations must run under congestion, tighter than the
    /// oracle's, so a keeper cannot liquidate on a wick the price has long left.
    // Liquidations must run: at most halved a day, never below the oracle floor.
    liquidation_max_age_secs: u32 = Safe::DownToHalf(MIN_IMMEDIATE_ORACLE_AGE_SECS);
    /// Stress: the least price gap the market's crash deficit is measured at (the target shock never falls below
    /// it), bps of price.
    /// Bounds: 100 ≤ floor ≤ stress_shock_cap_bps.
    // A larger shock refuses trades sooner, but it also moves the fee split toward the fund (value from the LPs):
    // every stress parameter waits, as the fee shares do (the review's M4).
    stress_shock_floor_bps: u32 = Safe::Never;
    /// Stress: the largest target shock, however volatile the market, bps of price.
    /// Bounds: stress_shock_floor_bps ≤ cap ≤ 10 000.
    stress_shock_cap_bps: u32 = Safe::Never;
    /// Stress: the target shock is this many tenths of a standard deviation of returns over `stress_horizon_secs`
    /// (from the market's variance estimate), between the floor and the cap.
    /// Bounds: 1 ..= 100 (0.1 σ to 10 σ).
    stress_sigmas_tenths: u32 = Safe::Never;
    /// Stress: the horizon the target shock's standard deviation is taken over, seconds (how long a gap may last
    /// before liquidations catch up).
    /// Bounds: 60 s ..= 7 days.
    stress_horizon_secs: u32 = Safe::Never;
}

const BPS: u32 = 10_000;
const _: () = assert!(BPS_DENOMINATOR == BPS as i64);

impl MarketParams {
    /// Checks every hard bound; each violation has its own error.
    pub fn validate(&self) -> MathResult<()> {
        let margins_ok = self.maintenance_margin_bps >= MIN_MAINTENANCE_MARGIN_BPS
            && self.maintenance_margin_bps < self.initial_margin_bps
            && self.initial_margin_bps <= BPS;
        check(margins_ok, MathError::InvalidMarginRatios)?;
        // A liquidation at the maintenance boundary must never create bad debt by itself.
        let penalty_ok = self.liquidation_penalty_bps > 0
            && self.liquidation_penalty_bps < self.maintenance_margin_bps
            && self.liquidator_reward_share_bps <= BPS;
        check(penalty_ok, MathError::InvalidLiquidationPenalty)?;
        check(
            self.taker_fee_bps <= MAX_TAKER_FEE_BPS && self.fee_cap_bps <= MAX_TAKER_FEE_BPS,
            MathError::InvalidTakerFee,
        )?;
        let split = u64::from(self.fee_fund_share_bps)
            + u64::from(self.fee_lp_share_bps)
            + u64::from(self.fee_treasury_share_bps);
        check(split == u64::from(BPS), MathError::InvalidFeeSplit)?;
        let oracle_ok = (1..=MAX_ORACLE_CONF_BPS).contains(&self.oracle_max_conf_bps)
            && (1..=MAX_ORACLE_AGE_SECS).contains(&self.oracle_max_age_secs);
        check(oracle_ok, MathError::InvalidOracleBounds)?;
        check(self.exec_conf_scale_bps <= MAX_EXEC_CONF_SCALE_BPS, MathError::InvalidExecutionSpread)?;
        let sizes_ok = self.min_order_size > 0
            && self.min_order_size <= self.max_open_interest
            && i64::try_from(self.max_open_interest).is_ok();
        check(sizes_ok, MathError::InvalidSizeLimits)?;
        check(self.unrealized_profit_cap_bps <= BPS, MathError::InvalidProfitCap)?;
        let draw_ok = self.fund_draw_cap > 0 && (1..=MAX_FUND_DRAW_WINDOW_SECS).contains(&self.fund_draw_window_secs);
        check(draw_ok, MathError::InvalidFundDrawLimits)?;
        let funding_ok = self.funding_coefficient_ppm <= MAX_FUNDING_PPM
            && self.funding_cap_ppm <= MAX_FUNDING_PPM
            && self.funding_depth > 0
            && i64::try_from(self.funding_depth).is_ok();
        check(funding_ok, MathError::InvalidFundingParams)?;
        check(
            (MIN_LP_EXIT_DELAY_SECS..=MAX_WINDOW_SECS).contains(&self.lp_exit_delay_secs),
            MathError::InvalidLpExitDelay,
        )?;
        let fee_ok = self.fee_floor_bps <= self.taker_fee_bps
            && self.taker_fee_bps <= self.fee_cap_bps
            && self.fee_cap_bps <= MAX_TAKER_FEE_BPS
            && self.fee_vol_coefficient <= MAX_FEE_VOL_COEFFICIENT
            && (60..=MAX_WINDOW_SECS).contains(&self.volatility_window_secs);
        check(fee_ok, MathError::InvalidDynamicFee)?;
        // The fund's share can only grow into what the LP (and, if it yields, the treasury) can give up.
        let yieldable = u64::from(self.fee_fund_share_bps)
            + u64::from(self.fee_lp_share_bps)
            + if self.treasury_yields_to_fund == 1 { u64::from(self.fee_treasury_share_bps) } else { 0 };
        let share_ok = self.fund_share_max_bps >= self.fee_fund_share_bps
            && u64::from(self.fund_share_max_bps) <= yieldable
            && self.coverage_target_bps <= BPS
            && self.treasury_yields_to_fund <= 1;
        check(share_ok, MathError::InvalidFundShare)?;
        let breaker_ok = self.breaker_conf_bps <= MAX_ORACLE_CONF_BPS
            && self.breaker_move_bps <= BPS
            && (1..=MAX_WINDOW_SECS).contains(&self.breaker_window_secs)
            && (1..=MAX_WINDOW_SECS).contains(&self.breaker_cooldown_secs);
        check(breaker_ok, MathError::InvalidCircuitBreaker)?;
        check(self.oracle_max_ema_divergence_bps <= BPS, MathError::InvalidOracleBounds)?;
        let ages_ok = self.fill_max_age_secs >= MIN_FILL_AGE_SECS.min(self.oracle_max_age_secs)
            && self.fill_max_age_secs <= self.liquidation_max_age_secs
            && self.liquidation_max_age_secs <= self.oracle_max_age_secs;
        check(ages_ok, MathError::InvalidOracleBounds)?;
        let stress_ok = MIN_STRESS_SHOCK_BPS <= self.stress_shock_floor_bps
            && self.stress_shock_floor_bps <= self.stress_shock_cap_bps
            && self.stress_shock_cap_bps <= BPS
            && (1..=MAX_STRESS_SIGMAS_TENTHS).contains(&self.stress_sigmas_tenths)
            && (60..=MAX_WINDOW_SECS).contains(&self.stress_horizon_secs);
        check(stress_ok, MathError::InvalidStressParams)
    }
}

fn check(condition: bool, error: MathError) -> MathResult<()> {
    if condition {
        Ok(())
    } else {
        Err(error)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::constants::BASE_PRECISION_U64;

    /// A 10x market: 10 % initial, 5 % maintenance, 2.5 % penalty, 5 bps fee split 50/40/10.
    pub(crate) fn sample() -> MarketParams {
        MarketParams {
            initial_margin_bps: 1_000,
            maintenance_margin_bps: 500,
            liquidation_penalty_bps: 250,
            liquidator_reward_share_bps: 5_000,
            taker_fee_bps: 5,
            fee_fund_share_bps: 5_000,
            fee_lp_share_bps: 4_000,
            fee_treasury_share_bps: 1_000,
            exec_conf_scale_bps: 10_000,
            oracle_max_conf_bps: 200,
            oracle_max_age_secs: 30,
            unrealized_profit_cap_bps: 5_000,
            max_open_interest: 1_000_000 * BASE_PRECISION_U64,
            min_order_size: BASE_PRECISION_U64 / 1_000,
            fund_draw_cap: 1_000_000_000_000,
            fund_draw_window_secs: 86_400,
            funding_coefficient_ppm: 100,
            funding_cap_ppm: 50,
            lp_exit_delay_secs: 60,
            funding_depth: 100 * BASE_PRECISION_U64,
            fee_floor_bps: 5,
            fee_cap_bps: 50,
            fee_vol_coefficient: 1_000,
            volatility_window_secs: 3_600,
            fund_share_max_bps: 9_000,
            coverage_target_bps: 500,
            treasury_yields_to_fund: 0,
            breaker_conf_bps: 100,
            breaker_move_bps: 1_500,
            breaker_window_secs: 600,
            breaker_cooldown_secs: 1_800,
            oracle_max_ema_divergence_bps: 2_000,
            fill_max_age_secs: 10,
            liquidation_max_age_secs: 20,
            stress_shock_floor_bps: 1_000,
            stress_shock_cap_bps: 5_000,
            stress_sigmas_tenths: 40,
            stress_horizon_secs: 3_600,
        }
    }

    #[test]
    fn sample_is_valid() {
        assert_eq!(sample().validate(), Ok(()));
    }

    /// One hard bound: how to break it, and the error that names it.
    struct BoundCase {
        breaks: fn(&mut MarketParams),
        expected: MathError,
    }

    #[test]
    fn every_bound_has_its_error() {
        let cases = [
            BoundCase { breaks: |p| p.min_order_size = 0, expected: MathError::InvalidSizeLimits },
            BoundCase { breaks: |p| p.fill_max_age_secs = 9, expected: MathError::InvalidOracleBounds },
            BoundCase { breaks: |p| p.fill_max_age_secs = 21, expected: MathError::InvalidOracleBounds },
            BoundCase { breaks: |p| p.liquidation_max_age_secs = 31, expected: MathError::InvalidOracleBounds },
            BoundCase { breaks: |p| p.lp_exit_delay_secs = 9, expected: MathError::InvalidLpExitDelay },
            BoundCase { breaks: |p| p.stress_shock_floor_bps = 99, expected: MathError::InvalidStressParams },
            BoundCase { breaks: |p| p.stress_shock_cap_bps = 999, expected: MathError::InvalidStressParams },
            BoundCase { breaks: |p| p.stress_shock_cap_bps = 10_001, expected: MathError::InvalidStressParams },
            BoundCase { breaks: |p| p.stress_sigmas_tenths = 0, expected: MathError::InvalidStressParams },
            BoundCase { breaks: |p| p.stress_sigmas_tenths = 101, expected: MathError::InvalidStressParams },
            BoundCase { breaks: |p| p.stress_horizon_secs = 59, expected: MathError::InvalidStressParams },
            BoundCase {
                breaks: |p| p.lp_exit_delay_secs = MAX_WINDOW_SECS + 1,
                expected: MathError::InvalidLpExitDelay,
            },
        ];
        for case in cases {
            let mut params = sample();
            (case.breaks)(&mut params);
            assert_eq!(params.validate(), Err(case.expected), "{params:?}");
        }
    }
}
