use crate::error::BackstopError;
use crate::error::OrReject;
use anchor_lang::prelude::*;
use backstop_math::breaker::{Breaker, BreakerObservation};
use backstop_math::controls::{RefreshPoint, RefreshedControls};
use backstop_math::dynamic::VarianceEstimate;
use backstop_math::ledger::{FundingAccrual, MarketLedger};
use backstop_math::oracle::{OraclePrice, OracleView};
use backstop_math::oracle_view::FillRules;
use backstop_math::params::MarketParams;
use backstop_math::timelock::Timelock;
use backstop_math::waterfall::DrawWindow;
use static_assertions::const_assert_eq;

/// What a market allows. Stored as a `u8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MarketStatus {
    Active = 0,
    /// Only risk-reducing trades.
    ReduceOnly = 1,
    /// No risk-increasing trades and no LP deposits. Reducing trades, withdrawals of free collateral, LP exits,
    /// liquidations and covers go on: a trader can always reduce while liquidations can run.
    Paused = 2,
    /// Listed but not live until `listing_eta` (listing is a loosening change: timelocked).
    Listing = 3,
}

/// Which oracle format the market reads. Stored as a `u8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum OracleKind {
    /// Pyth's legacy push price account (pyth-sdk-solana layout).
    PythLegacy = 0,
    /// A PriceUpdateV2 account written by a Pyth receiver program (the pull oracle mainnet runs today).
    PythPull = 1,
}

impl TryFrom<u8> for OracleKind {
    type Error = BackstopError;
    fn try_from(value: u8) -> core::result::Result<Self, Self::Error> {
        match value {
            0 => Ok(Self::PythLegacy),
            1 => Ok(Self::PythPull),
            _ => Err(BackstopError::UnsupportedOracleKind),
        }
    }
}

/// A perpetual market. PDA `[MARKET, market_id (u16 LE)]`; its vault `[MARKET_VAULT, market]` is a token account
/// owned by the market PDA.
#[account(zero_copy)]
pub struct Market {
    /// The insurance fund that backs this market. offset 8.
    pub insurance_fund: Pubkey,
    /// Mint of the collateral token (QUOTE_DECIMALS decimals), the insurance fund's too.
    pub collateral_mint: Pubkey,
    /// The market's vault: a token account of `collateral_mint` owned by the market, PDA `[MARKET_VAULT, market]`.
    pub vault: Pubkey,
    /// The oracle account the market reads its price from, in the format `oracle_kind`.
    pub oracle: Pubkey,
    /// PythPull only: the receiver program that must own the oracle account. Default for PythLegacy.
    pub oracle_receiver: Pubkey,
    /// PythPull only: the Pyth feed id the update must carry. Zero for PythLegacy.
    pub oracle_feed_id: [u8; 32],
    /// The parameters in force.
    pub params: MarketParams,
    /// Open interest, pool, collateral totals and fee accruals. The vault must hold at least
    /// `books.vault_liability()`.
    pub books: MarketLedger,
    /// Last oracle price used. precision: PRICE_PRECISION.
    pub last_oracle_price: i64,
    /// Confidence (±) of the last oracle price used. precision: PRICE_PRECISION.
    pub last_oracle_conf: i64,
    /// Publish time of the last oracle price used; older prices are refused.
    pub last_oracle_publish_time: i64,
    /// This market's draws on its insurance fund in the current window (capped by `params.fund_draw_cap`).
    pub fund_draw: DrawWindow,
    /// Lifetime traded notional (each fill's, rounded up). precision: QUOTE_PRECISION.
    pub cumulative_volume: u64,
    /// Lifetime taker fees charged. precision: QUOTE_PRECISION.
    pub cumulative_fees: u64,
    /// Lifetime liquidation penalties charged. precision: QUOTE_PRECISION.
    pub cumulative_penalties: u64,
    /// Lifetime deficits paid by the insurance fund (the waterfall's first layer). precision: QUOTE_PRECISION.
    pub cumulative_fund_cover: u64,
    /// Lifetime deficits absorbed by the LP pool (second layer). precision: QUOTE_PRECISION.
    pub cumulative_lp_clawback: u64,
    /// Lifetime deficits socialized over positive balances (third layer). precision: QUOTE_PRECISION.
    pub cumulative_socialized: u64,
    /// Lifetime deficits nobody could absorb (last layer). precision: QUOTE_PRECISION.
    pub cumulative_uncovered: u64,
    /// The market's id, its PDA seed (ids are dense from 0).
    pub market_id: u16,
    /// [`MarketStatus`]: 0 Active, 1 ReduceOnly (only risk-reducing trades), 2 Paused (no risk-increasing trades,
    /// no LP deposits; reductions, free withdrawals, LP exits, liquidations and covers go on), 3 Listing (not live
    /// until `listing_eta`).
    pub status: u8,
    /// [`OracleKind`]: 0 Pyth legacy price account, 1 Pyth pull `PriceUpdateV2`.
    pub oracle_kind: u8,
    /// Bump of this account's PDA.
    pub bump: u8,
    /// Bump of the vault's PDA.
    pub vault_bump: u8,
    /// PythPull only: 0 requires Full verification; n > 0 also accepts Partial updates with at least n guardian
    /// signatures.
    pub oracle_min_signatures: u8,
    /// Kind of the queued oracle change: 0 Pyth legacy, 1 Pyth pull.
    pub pending_oracle_kind: u8,
    /// Signature minimum of the queued oracle change (as `oracle_min_signatures`).
    pub pending_oracle_min_signatures: u8,
    /// 1 while the last print read lay beyond the EMA band: value leaves only at a print the EMA agrees with, so
    /// a flat withdrawal then reads the oracle too.
    pub last_read_diverged: u8,
    pub _padding: [u8; 6],
    /// Realised variance: an exponentially weighted mean of return² / elapsed fed by every oracle read, whatever
    /// its frequency (`dynamic::VarianceEstimate`).
    pub variance: VarianceEstimate,
    /// The parametric circuit breaker's memory.
    pub breaker: Breaker,
    /// While `status` is Listing: when the market may be activated.
    pub listing_eta: i64,
    /// When the market was activated (0: never). A listing the guardian paused before activation stays dead:
    /// governance cannot bring it to life without listing it again behind a new timelock.
    pub activated_at: i64,
    /// The queued parameter set (zeros: none queued).
    pub pending_params: MarketParams,
    /// When `pending_params` may be applied (0: none queued).
    pub params_change: Timelock,
    /// The queued oracle account (the default address: none queued).
    pub pending_oracle: Pubkey,
    /// Receiver program of the queued oracle change (as `oracle_receiver`).
    pub pending_oracle_receiver: Pubkey,
    /// Feed id of the queued oracle change (as `oracle_feed_id`).
    pub pending_oracle_feed_id: [u8; 32],
    /// When the queued oracle change may be applied (0: none queued).
    pub oracle_change: Timelock,
    /// When a stepped tightening (minimum order, LP exit delay, oracle bounds) last applied at once (0: never).
    pub last_step_at: i64,
    /// The fund's share of fees as the last `refresh_market` worked it out; trades read it while it is fresh and the
    /// price near the refresh's (`backstop_math::controls`).
    pub controls: RefreshedControls,
    /// Zero; room for fields added later without moving the layout.
    pub reserved: [u8; 384],
}

const_assert_eq!(core::mem::size_of::<MarketLedger>(), 176);
const_assert_eq!(core::mem::size_of::<DrawWindow>(), 16);
const_assert_eq!(core::mem::size_of::<MarketParams>(), 168);
const_assert_eq!(core::mem::size_of::<Breaker>(), 32);
const_assert_eq!(core::mem::size_of::<RefreshedControls>(), 32);
const_assert_eq!(
    core::mem::size_of::<Market>(),
    6 * 32 + 168 + 176 + 3 * 8 + 16 + 7 * 8 + 16 + 24 + 32 + 2 * 8 + 168 + 8 + 3 * 32 + 8 + 8 + 32 + 384
);
const_assert_eq!(core::mem::size_of::<Market>() % 8, 0);

/// Where and how a market reads its price.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct OracleConfig {
    /// [`OracleKind`] as a byte: 0 Pyth legacy price account, 1 Pyth pull `PriceUpdateV2`.
    pub kind: u8,
    /// PythPull: the receiver program that owns the update account (`rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ`
    /// on mainnet). PythLegacy: default.
    pub receiver: Pubkey,
    /// PythPull: the feed id. PythLegacy: zero.
    pub feed_id: [u8; 32],
    /// PythPull: 0 = Full verification only; n > 0 = Partial accepted with at least n signatures.
    pub min_signatures: u8,
}

impl Market {
    pub fn oracle_config(&self) -> OracleConfig {
        OracleConfig {
            kind: self.oracle_kind,
            receiver: self.oracle_receiver,
            feed_id: self.oracle_feed_id,
            min_signatures: self.oracle_min_signatures,
        }
    }

    /// What a voluntary fill's (or an LP flow's) print must meet. On a pull feed anyone may post any verified
    /// update newer than the stored one, so the print must be recent (`fill_max_age_secs`); a legacy push account
    /// holds the publishers' latest print and nobody chooses it, so its own age bound is enough.
    pub fn fill_rules(&self) -> FillRules {
        let pull = self.oracle_kind == OracleKind::PythPull as u8;
        FillRules {
            max_age_secs: if pull { self.params.fill_max_age_secs } else { self.params.oracle_max_age_secs },
            max_conf_bps_to_add_risk: self.params.breaker_conf_bps,
        }
    }

    /// The oldest print a liquidation may use (the same reasoning, with the looser `liquidation_max_age_secs`:
    /// liquidations must run under congestion).
    pub fn liquidation_max_age(&self) -> u32 {
        let pull = self.oracle_kind == OracleKind::PythPull as u8;
        if pull {
            self.params.liquidation_max_age_secs
        } else {
            self.params.oracle_max_age_secs
        }
    }

    /// Forgets a queued oracle change's values (after it applied or was cancelled), so nothing stale is left for
    /// monitors to read.
    pub fn clear_pending_oracle(&mut self) {
        self.pending_oracle = Pubkey::default();
        self.pending_oracle_receiver = Pubkey::default();
        self.pending_oracle_feed_id = [0; 32];
        self.pending_oracle_kind = 0;
        self.pending_oracle_min_signatures = 0;
    }

    /// Takes new parameters. The stored fund share was worked out under the old ones: voided, so trades give the
    /// fund the cautious share until the next refresh.
    pub fn set_params(&mut self, params: MarketParams) {
        self.params = params;
        self.controls = RefreshedControls::default();
    }

    /// The state the fee and the fund's share are read or worked out at: the variance rate and last price as the
    /// latest print left them.
    pub fn refresh_point(&self, now: i64) -> RefreshPoint {
        RefreshPoint { variance_rate: self.variance.rate, price: self.last_oracle_price, now }
    }

    /// Whether the market takes deposits, trades and LP flows at all.
    pub fn is_live(&self) -> bool {
        self.status() != MarketStatus::Listing
    }

    pub fn status(&self) -> MarketStatus {
        match self.status {
            0 => MarketStatus::Active,
            1 => MarketStatus::ReduceOnly,
            3 => MarketStatus::Listing,
            _ => MarketStatus::Paused,
        }
    }

    /// The market PDA's seeds, copied out so no borrow of the account is held across a CPI.
    pub fn signer(&self) -> PdaSigner {
        PdaSigner { prefix: crate::seeds::MARKET, id: self.market_id.to_le_bytes(), bump: [self.bump] }
    }

    /// Advances funding to `now`, valued at `price` (the oracle price read by the instruction, or the last one
    /// used when the instruction reads none).
    pub fn accrue_funding(&mut self, now: i64, price: i64) -> Result<FundingAccrual> {
        self.books.accrue_funding(now, price, &self.params).or_reject()
    }

    /// Everything a market does with each oracle read, whatever the instruction: funding accrues to `now`, the
    /// volatility estimate and the circuit breaker observe the price, and the market remembers it (an older print
    /// is refused next time). All of it at the believed price ([`OracleView::believed`]), so a print far from the
    /// EMA moves nothing further than the band's edge. A rejected instruction rolls all of it back.
    pub fn absorb_oracle(&mut self, view: &OracleView, now: i64) -> Result<OracleAbsorbed> {
        let price = view.believed().or_reject()?;
        let funding = self.accrue_funding(now, price.price)?;
        self.variance =
            self.variance.observe(price.price, price.publish_time, self.params.volatility_window_secs).or_reject()?;
        self.last_read_diverged = u8::from(view.diverged);
        let breaker = self.breaker.observe(price.price, view.uncertainty_bps, now, &self.params).or_reject()?;
        self.breaker = breaker.breaker;
        self.last_oracle_price = price.price;
        self.last_oracle_conf = price.conf;
        self.last_oracle_publish_time = price.publish_time;
        Ok(OracleAbsorbed { price, funding, breaker })
    }
}

/// What [`Market::absorb_oracle`] did.
pub struct OracleAbsorbed {
    /// The believed price everything was done at.
    pub price: OraclePrice,
    pub funding: FundingAccrual,
    pub breaker: BreakerObservation,
}

/// Seeds of an id-addressed PDA (market or insurance fund), owned so they outlive the account borrow.
pub struct PdaSigner {
    pub prefix: &'static [u8],
    pub id: [u8; 2],
    pub bump: [u8; 1],
}

impl PdaSigner {
    pub fn seeds(&self) -> [&[u8]; 3] {
        [self.prefix, &self.id, &self.bump]
    }
}
