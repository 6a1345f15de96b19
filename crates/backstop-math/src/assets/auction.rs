//! The backstop auction: what a deficit's cover could not pay in quote is raised by selling the fund's other
//! assets to anyone who pays quote into the market's vault, at the oracle's high side less a discount that grows
//! with the time since the deficit was recorded (a Dutch auction), until the deficit is raised or the auction's
//! time is up. The waterfall's later layers (the LP pool, socialized loss) take only what it could not raise.
//!
//! Every rounding goes against the bidder, who is paid in the asset: the price is taken at the high side of the
//! band and the discount applied to it is rounded down, the tokens out are rounded down, and the quote in is
//! rounded up.

use super::{value_ceil, value_floor, AssetPrice};
use crate::constants::BPS_DENOMINATOR;
use crate::error::{MathError, MathResult};
use crate::safe_math::{add_u64, mul_div_ceil, mul_div_floor, sub_u64, to_i64, to_u64};

/// Deepest discount governance may allow, bps.
pub const MAX_AUCTION_DISCOUNT_BPS: u16 = 5_000;
/// Fastest a discount may grow, bps a minute.
pub const MAX_AUCTION_STEP_BPS: u16 = 1_000;

crate::idl_struct! {
    /// How one asset's discount grows in a backstop auction.
    #[repr(C)]
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
    #[cfg_attr(feature = "borsh", derive(borsh::BorshSerialize, borsh::BorshDeserialize))]
    pub struct AuctionRules {
        /// Discount when the deficit is recorded, bps of the oracle's high side.
        pub start_discount_bps: u16,
        /// What the discount grows by each whole minute, bps.
        pub step_bps_per_minute: u16,
        /// Deepest discount, bps: at most the asset's haircut and 50 %.
        pub max_discount_bps: u16,
        /// Zero.
        pub _padding: [u8; 2],
    }
}

impl AuctionRules {
    /// start ≤ deepest ≤ min(haircut, 50 %), a step of 1 ..= 1 000 bps a minute.
    pub fn validate(&self, haircut_bps: u16) -> bool {
        self.start_discount_bps <= self.max_discount_bps
            && self.max_discount_bps <= haircut_bps.min(MAX_AUCTION_DISCOUNT_BPS)
            && (1..=MAX_AUCTION_STEP_BPS).contains(&self.step_bps_per_minute)
            && self._padding == [0; 2]
    }

    /// The discount `elapsed_secs` after the deficit was recorded, bps: the start plus one step per whole minute,
    /// capped at the deepest.
    pub fn discount_bps(&self, elapsed_secs: i64) -> u32 {
        let minutes = u64::try_from(elapsed_secs.max(0) / 60).unwrap_or(0);
        let grown = u64::from(self.start_discount_bps)
            .saturating_add(minutes.saturating_mul(u64::from(self.step_bps_per_minute)));
        u32::try_from(grown.min(u64::from(self.max_discount_bps))).unwrap_or(u32::from(self.max_discount_bps))
    }
}

/// One bid's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    /// Quote the bidder pays into the market's vault (rounded up): never more than the bid or the open deficit.
    pub quote: u64,
    /// Tokens of the asset the bidder receives out of the fund's vault (rounded down).
    pub asset: u64,
    /// The discount the fill was priced at, bps.
    pub discount_bps: u32,
    /// The price it was sold at: the high side less the discount, rounded up. precision: ASSET_PRICE_PRECISION.
    pub price: i64,
    /// What the tokens sold were worth at the undiscounted high side less what was paid: the bidder's discount, in
    /// quote atoms (rounded down).
    pub discount_value: u64,
}

/// Sells the fund's `holding` of an asset toward `open` quote of deficit, for a bid of at most `bid` quote, at
/// `elapsed_secs` since the deficit was recorded. Refused when it would move nothing.
pub fn fill(
    bid: u64,
    open: u64,
    holding: u64,
    decimals: u8,
    price: &AssetPrice,
    rules: &AuctionRules,
    elapsed_secs: i64,
) -> MathResult<Fill> {
    let discount_bps = rules.discount_bps(elapsed_secs);
    let high = price.high()?;
    let kept = BPS_DENOMINATOR - i64::from(discount_bps);
    let sale_price = to_i64(mul_div_ceil(i128::from(high), i128::from(kept), i128::from(BPS_DENOMINATOR))?)?;
    let wanted = bid.min(open);
    // Tokens the wanted quote buys at the sale price, rounded down; then the quote those tokens cost, rounded up
    // (never above `wanted`: the tokens were rounded down from it).
    let scale = super::scale(decimals)?;
    let bought = mul_div_floor(i128::from(wanted), scale, i128::from(sale_price))?;
    let asset = to_u64(bought.min(i128::from(holding)))?;
    let quote = value_ceil(asset, sale_price, decimals)?;
    if asset == 0 || quote == 0 {
        return Err(MathError::NothingToAuction);
    }
    let discount_value = value_floor(asset, high, decimals)?.saturating_sub(quote);
    Ok(Fill { quote, asset, discount_bps, price: sale_price, discount_value })
}

crate::idl_struct! {
    /// A market's open backstop auction: the deficits its covers could not pay in quote, waiting for bids.
    #[repr(C)]
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
    pub struct DeficitAuction {
        /// Deficit still to raise. precision: QUOTE_PRECISION.
        pub open: u64,
        /// Unix seconds at which the oldest deficit still open was recorded (0: none open). The discount grows from
        /// here; a deficit recorded while one is open joins it at its discount (a bidder is never made to wait).
        pub started_at: i64,
        /// Lifetime quote raised by fills. precision: QUOTE_PRECISION.
        pub raised: u64,
        /// Lifetime discount given to bidders (`Fill::discount_value`). precision: QUOTE_PRECISION.
        pub discount_given: u64,
    }
}

impl DeficitAuction {
    /// Records `amount` more deficit to raise at `now`. An auction whose time is up is closed first: what it did
    /// not raise is returned, for the waterfall's later layers, and the new deficit starts a fresh schedule.
    /// Joining a live auction, the deficit moves its start to the value-weighted time of the two (rounded later,
    /// against the bidder): a large deficit is not sold at a small one's aged discount, and no bidder waits.
    pub fn record(&mut self, amount: u64, now: i64, duration_secs: u32) -> MathResult<u64> {
        let unraised = self.close(now, duration_secs);
        if amount == 0 {
            return Ok(unraised);
        }
        if self.open == 0 {
            self.started_at = now;
        } else {
            let weighted = i128::from(self.open) * i128::from(self.started_at) + i128::from(amount) * i128::from(now);
            let total = i128::from(self.open) + i128::from(amount);
            self.started_at = to_i64(crate::safe_math::div_ceil(weighted, total)?)?;
        }
        self.open = add_u64(self.open, amount)?;
        Ok(unraised)
    }

    /// Seconds since the open deficit was recorded.
    pub fn elapsed(&self, now: i64) -> i64 {
        now.saturating_sub(self.started_at).max(0)
    }

    /// Whether bids may still fill at `now`: a deficit is open and the auction's `duration_secs` has not passed.
    pub fn is_live(&self, now: i64, duration_secs: u32) -> bool {
        self.open > 0 && self.elapsed(now) < i64::from(duration_secs)
    }

    /// Books a fill.
    pub fn apply(&mut self, fill: &Fill) -> MathResult<()> {
        self.open = sub_u64(self.open, fill.quote)?;
        self.raised = add_u64(self.raised, fill.quote)?;
        self.discount_given = add_u64(self.discount_given, fill.discount_value)?;
        if self.open == 0 {
            self.started_at = 0;
        }
        Ok(())
    }

    /// Closes an auction whose time is up: what it did not raise, for the waterfall's later layers (0 while it is
    /// live or nothing is open).
    pub fn close(&mut self, now: i64, duration_secs: u32) -> u64 {
        if self.open == 0 || self.is_live(now, duration_secs) {
            return 0;
        }
        let unraised = self.open;
        self.open = 0;
        self.started_at = 0;
        unraised
    }
}

/// How much of a deficit goes to auction once the quote balance has paid its part: what remains, within the
/// market's draw cap left after the quote payment and what the other assets can claim (their value less haircut:
/// at most what the deepest sale raises). The rest goes straight to the later layers.
pub fn auction_size(rest: u64, draw_left: u64, assets_claim: u64) -> u64 {
    rest.min(draw_left).min(assets_claim)
}
