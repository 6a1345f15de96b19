//! The bankruptcy waterfall as a plan over plain numbers.

/// What the waterfall knows when it covers one deficit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaterfallInputs {
    /// The bankrupt account's negative balance, as a positive amount. precision: QUOTE_PRECISION.
    pub deficit: u64,
    /// What the fund may pay now: the lesser of its balance and the market's draw cap left in this window.
    pub fund_available: u64,
    /// The LP pool's value before cover, at the conservative price and net of every pending deficit (this one
    /// included), of unsettled profit owed and of traders' unrealized PnL. Negative when the pool is exhausted.
    pub pool_equity: i128,
    /// Σ positive balances in the market: what a socialized loss can be spread over.
    pub positive_balances: u64,
}

/// Who pays how much of one deficit. `fund + lp_clawback + socialized + uncovered == deficit`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WaterfallPlan {
    /// a. Paid by the insurance fund, in tokens from its vault.
    pub fund: u64,
    /// b. Absorbed by the LP pool: the credit it took for the loss is written off.
    pub lp_clawback: u64,
    /// c. Spread over every positive balance in the market.
    pub socialized: u64,
    /// What nobody could absorb: the pool is exhausted and no positive balance remains. It stays a shortfall of
    /// the pool towards its creditors (their unsettled profit), recorded so it is visible.
    pub uncovered: u64,
}

/// Plans the cover of one deficit:
///
/// 1. the **insurance fund** pays what it can: `min(deficit, fund_available)`;
/// 2. the **LP pool** absorbs the rest as long as its equity (after the fund's payment) stays non-negative;
/// 3. what would take the pool below zero is **socialized** over all positive balances;
/// 4. what exceeds even those is **uncovered**.
pub fn plan(inputs: &WaterfallInputs) -> WaterfallPlan {
    let fund = inputs.deficit.min(inputs.fund_available);
    let rest = inputs.deficit - fund;
    // The pool's equity already excludes this deficit; the fund's payment turns part of it into real cash.
    let equity_after_fund = inputs.pool_equity.saturating_add(i128::from(fund));
    let shortfall = u64::try_from(equity_after_fund.min(0).unsigned_abs()).unwrap_or(u64::MAX);
    let beyond_pool = rest.min(shortfall);
    let socialized = beyond_pool.min(inputs.positive_balances);
    WaterfallPlan { fund, lp_clawback: rest - beyond_pool, socialized, uncovered: beyond_pool - socialized }
}

crate::idl_struct! {
    /// A market's recent draws on its insurance fund, decaying: what counts as drawn fades linearly to nothing over
    /// the draw window, and every draw (a zero one too, which a cover records when the fund has no room) adds to what
    /// still counts and restarts the fade from that total. At most the cap can be drawn at once, and room comes back
    /// no faster than the cap per window; restarting the fade only holds room back longer than separate fades would.
    /// (A fixed window let twice the cap go in one instant across its boundary, the security review found.)
    #[repr(C)]
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
    pub struct DrawWindow {
        /// Unix seconds of the last draw.
        pub start: i64,
        /// What still counted as drawn at `start`, that draw included. precision: QUOTE_PRECISION.
        pub drawn: u64,
    }
}

impl DrawWindow {
    /// What still counts as drawn at `now`: the recorded amount less the part that has decayed, rounded up (the
    /// fund's room is never overstated).
    pub fn outstanding(&self, now: i64, window_secs: u32) -> u64 {
        let window = i128::from(window_secs.max(1));
        let elapsed = i128::from(now.saturating_sub(self.start).max(0));
        if elapsed >= window {
            return 0;
        }
        let scaled = i128::from(self.drawn) * (window - elapsed);
        u64::try_from((scaled + window - 1) / window).unwrap_or(self.drawn)
    }

    /// What may still be drawn as of `now`.
    pub fn remaining(&self, now: i64, cap: u64, window_secs: u32) -> u64 {
        cap.saturating_sub(self.outstanding(now, window_secs))
    }

    /// The window after drawing `amount` at `now`.
    pub fn record(&self, now: i64, window_secs: u32, amount: u64) -> DrawWindow {
        DrawWindow { start: now, drawn: self.outstanding(now, window_secs).saturating_add(amount) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One named case: inputs, and the plan as formulas of them.
    struct Case {
        name: &'static str,
        inputs: WaterfallInputs,
        expected: WaterfallPlan,
    }

    #[test]
    fn draws_decay_over_the_window() {
        let window = DrawWindow { start: 1_000, drawn: 720 };
        assert_eq!(window.remaining(1_000, 1_000, 3_600), 280);
        // A quarter of the window later a quarter of the draw has faded.
        assert_eq!(window.remaining(1_900, 1_000, 3_600), 460);
        assert_eq!(window.remaining(4_600, 1_000, 3_600), 1_000);
        assert_eq!(window.record(1_900, 3_600, 200), DrawWindow { start: 1_900, drawn: 740 });
        assert_eq!(window.record(4_600, 3_600, 200), DrawWindow { start: 4_600, drawn: 200 });
        // Rounded against the drawer: one atom drawn still counts until the window is over.
        assert_eq!(DrawWindow { start: 0, drawn: 1 }.outstanding(3_599, 3_600), 1);
    }

    /// The review's finding: drawing the whole cap just before a fixed window's end and again just after took twice
    /// the cap in two seconds. Decaying, the second draw finds almost no room.
    #[test]
    fn the_cap_cannot_be_drawn_twice_across_a_boundary() {
        let cap = 1_000_000;
        let first = DrawWindow::default().record(3_599, 3_600, cap);
        assert_eq!(first.remaining(3_601, cap, 3_600), 555, "two seconds of refill, rounded against the drawer");
    }

    #[test]
    fn waterfall_cases() {
        let d = 1_000u64;
        let cases = [
            Case {
                name: "fund covers all",
                inputs: WaterfallInputs {
                    deficit: d,
                    fund_available: 5_000,
                    pool_equity: 10_000,
                    positive_balances: 0,
                },
                expected: WaterfallPlan { fund: d, ..Default::default() },
            },
            Case {
                name: "fund covers part, pool the rest",
                inputs: WaterfallInputs { deficit: d, fund_available: 400, pool_equity: 10_000, positive_balances: 0 },
                expected: WaterfallPlan { fund: 400, lp_clawback: d - 400, ..Default::default() },
            },
            Case {
                name: "empty fund, pool exhausted part way: the part below zero is socialized",
                inputs: WaterfallInputs { deficit: d, fund_available: 0, pool_equity: -300, positive_balances: 50_000 },
                expected: WaterfallPlan { lp_clawback: d - 300, socialized: 300, ..Default::default() },
            },
            Case {
                name: "fund payment lifts the pool back above zero",
                inputs: WaterfallInputs {
                    deficit: d,
                    fund_available: 300,
                    pool_equity: -300,
                    positive_balances: 50_000,
                },
                expected: WaterfallPlan { fund: 300, lp_clawback: d - 300, ..Default::default() },
            },
            Case {
                name: "deficit larger than everything in the market",
                inputs: WaterfallInputs {
                    deficit: d,
                    fund_available: 100,
                    pool_equity: -5_000,
                    positive_balances: 200,
                },
                expected: WaterfallPlan { fund: 100, lp_clawback: 0, socialized: 200, uncovered: d - 100 - 200 },
            },
            Case {
                name: "no positive balance remains",
                inputs: WaterfallInputs {
                    deficit: d,
                    fund_available: 0,
                    pool_equity: -i128::from(d),
                    positive_balances: 0,
                },
                expected: WaterfallPlan { uncovered: d, ..Default::default() },
            },
        ];
        for case in cases {
            let plan = plan(&case.inputs);
            assert_eq!(plan, case.expected, "{}", case.name);
            assert_eq!(plan.fund + plan.lp_clawback + plan.socialized + plan.uncovered, d, "{}", case.name);
        }
    }
}
