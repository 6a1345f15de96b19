//! What makes a replay behave like a crash rather than a calm walk: a keeper that acts late, or not at all for a
//! while (congestion), traders who keep trading through the move, and a fund fed by nothing but what it held.
//! Each is a setting with a stated default; the report prints them all.

use super::engine::Engine;
use super::prices::Rng;
use backstop::state::{InsuranceFund, StakePosition};
use backstop_math::constants::BASE_PRECISION_U64;
use backstop_tests::USDC;

/// The stress settings of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stress {
    /// Seconds between a print and the keeper's round on it. Default 5: the keeper's own polling interval
    /// (`backstop keeper --interval 5`), so on average a print waits half of it, plus a slot or two to land.
    pub keeper_latency_secs: u32,
    /// Minutes from the start of the replay during which no keeper runs (`from..to`; none by default). Congestion
    /// takes keepers out exactly when they are needed: on 12 March 2020 MakerDAO's keepers failed to bid for hours.
    pub keeper_down_minutes: Option<(u32, u32)>,
    /// Trades per price step by randomly chosen traders through the replay: half reduce (by half, or close), half
    /// add within their leverage. Default 2: enough that fees and the volatility-linked fee respond to the move.
    pub trades_per_step: usize,
    /// The fund gets no revenue during the replay (fees and penalties stay in the market unswept), so its buffer
    /// alone is tested. Off by default: in production revenue is swept as it comes.
    pub fund_buffer_only: bool,
    /// Seconds by which the oracle's price trails the market: each step shows the series' price this long before
    /// (the last row at or before it). 0 by default: Pyth's aggregate lands within a slot or two, well inside the
    /// series' one-minute rows; a congested relay or a push feed that stops updating is what this stresses.
    pub oracle_delay_secs: u32,
    /// The fund's staker asks to leave (requests to unstake everything) once the fund has drawn this percentage
    /// of its peak; its unstake is tried at every step once the cooldown is over. None by default. It answers: can
    /// a staker who sees the fund draw get out ahead of the losses? (The payout is the lower of the shares' value
    /// at the request and at the payout, net of deficits then awaiting cover. The harness's redemption gate lets
    /// the whole fund out in an hour, so the gate does not bind here.)
    pub staker_exit_drawdown_pct: Option<u32>,
}

impl Default for Stress {
    fn default() -> Self {
        Self {
            keeper_latency_secs: 5,
            keeper_down_minutes: None,
            trades_per_step: 2,
            fund_buffer_only: false,
            oracle_delay_secs: 0,
            staker_exit_drawdown_pct: None,
        }
    }
}

impl Stress {
    pub fn validate(&self, traders: usize) -> Result<(), String> {
        if self.keeper_latency_secs > 3_600 {
            return Err("--keeper-latency: at most 3 600 seconds".to_string());
        }
        if let Some((from, to)) = self.keeper_down_minutes {
            if from >= to {
                return Err("--keeper-down FROM:TO: FROM before TO, in minutes from the start".to_string());
            }
        }
        if self.oracle_delay_secs > 3_600 {
            return Err("--oracle-delay: at most 3 600 seconds".to_string());
        }
        if self.staker_exit_drawdown_pct.is_some_and(|pct| !(1..=100).contains(&pct)) {
            return Err("--stakers-exit-at: a drawdown of 1 to 100 %".to_string());
        }
        if self.trades_per_step > traders {
            return Err("--trades-per-step: at most the number of traders".to_string());
        }
        Ok(())
    }

    /// Whether a keeper runs `elapsed_secs` into the replay.
    pub fn keeper_up(&self, elapsed_secs: i64) -> bool {
        match self.keeper_down_minutes {
            Some((from, to)) => !(i64::from(from) * 60..i64::from(to) * 60).contains(&elapsed_secs),
            None => true,
        }
    }
}

/// Where the staker's exit stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StakerExit {
    /// When the staker asked to leave (the series' time), and what its shares were worth then.
    pub requested_at: Option<i64>,
    pub requested_value: u64,
    /// What it was paid (the min rule may pay less than the value at the request), and when the request was served
    /// (every locked share burned).
    pub paid: u64,
    pub completed_at: Option<i64>,
}

/// The staker's shares it may ask to withdraw, as the fund counts them now (a fund drained to nothing voids them: a
/// new epoch), less those already locked in a request.
pub fn unlocked_shares(position: &StakePosition, fund: &InsuranceFund) -> u64 {
    let book = position.book.in_epoch_of(&fund.book);
    book.shares.saturating_sub(book.locked_shares)
}

/// The staker asks to leave once the fund has drawn `pct` % of its peak, and takes what `unstake` pays once its
/// cooldown is over (tried each step until served in full). Times are recorded as the series' `unix_ts`.
pub async fn staker_exits(
    engine: &mut impl Engine,
    pct: u32,
    (peak, balance): (u64, u64),
    unix_ts: i64,
    exit: &mut StakerExit,
) -> Result<(), String> {
    let drawn = u128::from(peak.saturating_sub(balance)) * 100 >= u128::from(peak) * u128::from(pct);
    if exit.requested_at.is_none() && peak > 0 && drawn && engine.request_exit().await? {
        exit.requested_at = Some(unix_ts);
        exit.requested_value = engine.stake_position().await?.book.request_value;
    }
    if exit.requested_at.is_none() || exit.completed_at.is_some() {
        return Ok(());
    }
    let before = engine.stake_position().await?;
    if engine.now() >= before.book.unlocks_at && engine.complete_exit().await? {
        let after = engine.stake_position().await?;
        exit.paid += after.unstaked - before.unstaked;
        if after.book.locked_shares == 0 {
            exit.completed_at = Some(unix_ts);
        }
    }
    Ok(())
}

/// The price the oracle shows at `unix_ts` when it trails by `delay_secs`: the last row at or before
/// `unix_ts - delay_secs` (the first row if none is).
pub fn delayed_price(series: &[super::prices::PricePoint], unix_ts: i64, delay_secs: u32) -> i64 {
    let target = unix_ts - i64::from(delay_secs);
    let rows_at_or_before = series.partition_point(|p| p.unix_ts <= target);
    series[rows_at_or_before.saturating_sub(1)].price_e8
}

/// A simulated trader: the engine's index for it, and how it trades.
pub struct Trader {
    pub index: usize,
    pub leverage_tenths: u64,
    pub long: bool,
}

/// The base size worth `collateral` atoms at `leverage_tenths` and `price` (PRICE_PRECISION), signed by side.
pub fn size_for(collateral: u64, leverage_tenths: u64, price: i64, long: bool) -> i64 {
    let base = u128::from(collateral) * u128::from(leverage_tenths) * u128::from(BASE_PRECISION_U64)
        / 10
        / u128::try_from(price.max(1)).unwrap_or(1);
    i64::try_from(base).unwrap_or(i64::MAX) * if long { 1 } else { -1 }
}

/// What the traders did in one step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Activity {
    pub trades: usize,
    /// Trades the market refused (margin, the EMA band, reduce-only, the pool's margin): the trader waits.
    pub refused: usize,
}

/// `count` randomly chosen traders trade at `price` (PRICE_PRECISION).
pub async fn trade_some(
    engine: &mut impl Engine,
    traders: &[Trader],
    rng: &mut Rng,
    count: usize,
    price: i64,
) -> Result<Activity, String> {
    let mut activity = Activity::default();
    for _ in 0..count {
        let Ok(pick) = usize::try_from(rng.below(traders.len() as u64)) else { continue };
        let trader = &traders[pick];
        let balances = engine.balances(trader.index).await?;
        let reduce = rng.below(2) == 0;
        let delta = if balances.position.is_flat() || !reduce {
            let collateral = u64::try_from(balances.collateral.max(0)).unwrap_or(0);
            // Adding: a fifth of what the trader's leverage allows on its collateral (a flat one re-opens).
            size_for(collateral / 5, trader.leverage_tenths, price, trader.long)
        } else if rng.below(2) == 0 {
            -balances.position.base
        } else {
            -balances.position.base / 2
        };
        if delta == 0 {
            continue;
        }
        activity.trades += 1;
        if !engine.trade(trader.index, delta).await {
            activity.refused += 1;
        }
    }
    Ok(activity)
}

/// Whole dollars as atoms.
pub fn usd(dollars: u64) -> u64 {
    dollars * USDC
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keeper_is_down_only_inside_its_window() {
        let stress = Stress { keeper_down_minutes: Some((10, 20)), ..Stress::default() };
        assert!(stress.keeper_up(599));
        assert!(!stress.keeper_up(600));
        assert!(!stress.keeper_up(1_199));
        assert!(stress.keeper_up(1_200));
        assert!(Stress::default().keeper_up(0));
    }

    #[test]
    fn a_delayed_oracle_shows_the_last_row_before_the_delay() {
        use crate::simulation::prices::PricePoint;
        let series = [
            PricePoint { unix_ts: 0, price_e8: 100 },
            PricePoint { unix_ts: 60, price_e8: 90 },
            PricePoint { unix_ts: 120, price_e8: 80 },
        ];
        assert_eq!(delayed_price(&series, 120, 0), 80);
        assert_eq!(delayed_price(&series, 120, 1), 90);
        assert_eq!(delayed_price(&series, 120, 60), 90);
        assert_eq!(delayed_price(&series, 120, 61), 100);
        assert_eq!(delayed_price(&series, 60, 600), 100);
    }

    #[test]
    fn bad_stress_settings_are_refused() {
        assert!(Stress { keeper_down_minutes: Some((20, 10)), ..Stress::default() }.validate(10).is_err());
        assert!(Stress { keeper_latency_secs: 3_601, ..Stress::default() }.validate(10).is_err());
        assert!(Stress { trades_per_step: 11, ..Stress::default() }.validate(10).is_err());
        assert_eq!(Stress::default().validate(10), Ok(()));
    }
}
