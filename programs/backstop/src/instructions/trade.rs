use crate::error::{BackstopError, OrReject};
use crate::events::{BreakerTransition, EventHeader, TradeRecord};
use crate::oracle;
use crate::state::{InsuranceFund, MarginAccount, Market, MarketBook, MarketStatus};
use anchor_lang::prelude::*;
use backstop_math::breaker::BreakerObservation;
use backstop_math::ledger::{self, FundingAccrual, TradeOutcome};
use backstop_math::margin::TraderBalances;
use backstop_math::oracle::{OraclePrice, OracleView};

#[event_cpi]
#[derive(Accounts)]
pub struct Trade<'info> {
    /// The market traded in (PDA `[MARKET, market_id u16 LE]`): absorbs the oracle print (funding, variance, circuit
    /// breaker) and books the fill against its LP pool.
    #[account(mut, has_one = insurance_fund @ BackstopError::FundMismatch)]
    pub market: AccountLoader<'info, Market>,
    /// The owner's margin account in `market` (PDA `[MARGIN_ACCOUNT, market, owner]`): its position changes and its
    /// collateral pays the fee.
    #[account(
        mut,
        has_one = owner @ BackstopError::AccountOwnerMismatch,
        has_one = market @ BackstopError::MarketMismatch
    )]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    /// The market's bankruptcy book: the account's term moves, and a risk-adding trade is admitted by it.
    // checked at #book (`MarketBook::load_for`)
    #[account(mut)]
    pub market_book: AccountLoader<'info, MarketBook>,
    /// Signer: the margin account's owner.
    pub owner: Signer<'info>,
    /// The market's configured oracle account (its `oracle`); read for the fill price.
    /// CHECK: must be the market's oracle. checked at #oracle
    pub oracle: UncheckedAccount<'info>,
    /// Read for its balance: it is part of what a crash deficit can be absorbed by (risk-based admission).
    pub insurance_fund: AccountLoader<'info, InsuranceFund>,
}

/// Trades against the pool. On the way it updates the market's live controls from the oracle price it reads:
/// funding accrues, the volatility estimate moves, the circuit breaker observes the price (reduce-only while
/// tripped). The fee follows the volatility estimate as this print leaves it; the fund's share of it is the one the
/// last `refresh_market` worked out from the fund's coverage and adequacy, or the cautious one once that refresh is
/// stale or the price has gapped since (`backstop_math::controls`).
pub fn handle_trade(ctx: Context<Trade>, base_delta: i64) -> Result<()> {
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let mut market = ctx.accounts.market.load_mut()?;
    // A market still listing refuses before its oracle is even read (`apply_trade` checks again for its other callers).
    require!(market.is_live(), BackstopError::MarketNotLive);
    let view = oracle::read_market_oracle(&ctx.accounts.oracle, &market, now)?;
    let fund_balance = ctx.accounts.insurance_fund.load()?.book.balance;
    let mut account = ctx.accounts.margin_account.load_mut()?;
    // #book the market's own book.
    let mut book = MarketBook::load_for(&ctx.accounts.market_book, &ctx.accounts.market.key())?;
    let traded = apply_trade(&mut market, &mut account, &mut book, fund_balance, &view, base_delta, now)?;
    drop((market, account, book));
    let (before, outcome, price, accrual, observation) =
        (traded.before, traded.outcome, traded.price, traded.accrual, traded.observation);
    let funding_settled = traded.funding_settled;

    let header = EventHeader::now(&clock);
    let market_key = ctx.accounts.market.key();
    if observation.tripped_now || observation.cleared_now {
        crate::events::emit(&ctx.accounts.event_authority, &BreakerTransition::new(header, market_key, &observation))?;
    }
    crate::events::emit(
        &ctx.accounts.event_authority,
        &TradeRecord {
            header,
            market: market_key,
            owner: ctx.accounts.owner.key(),
            base_delta,
            oracle_price: price.price,
            oracle_conf: price.conf,
            fill_price: outcome.fill_price,
            fill_notional: outcome.fill_notional,
            realized_pnl: outcome.realized_pnl,
            fee_due: outcome.fee_due,
            fee_to_fund: outcome.fee.fund,
            fee_to_lp: outcome.fee.lp,
            fee_to_treasury: outcome.fee.treasury,
            base_before: before.position.base,
            base_after: outcome.books.trader.position.base,
            collateral_before: before.collateral,
            collateral_after: outcome.books.trader.collateral,
            unsettled_pnl_after: outcome.books.trader.unsettled_pnl,
            funding_settled,
            funding: (&accrual).into(),
        },
    )?;
    Ok(())
}

/// What [`apply_trade`] did, for the event.
pub struct TradeApplied {
    pub before: TraderBalances,
    pub outcome: TradeOutcome,
    /// The price the fill was made at (the print, or the worse of the band edge and the EMA for a reduction).
    pub price: OraclePrice,
    pub accrual: FundingAccrual,
    pub observation: BreakerObservation,
    pub funding_settled: i64,
}

/// Everything a trade decides and stores, on the loaded accounts: no token moves. The crash laboratory's core
/// engine runs this same function on accounts held in memory.
pub fn apply_trade(
    market: &mut Market,
    account: &mut MarginAccount,
    book: &mut MarketBook,
    fund_balance: u64,
    view: &OracleView,
    base_delta: i64,
    now: i64,
) -> Result<TradeApplied> {
    let status = market.status();
    require!(status != MarketStatus::Listing, BackstopError::MarketNotLive);
    let absorbed = market.absorb_oracle(view, now)?;
    let (accrual, observation) = (absorbed.funding, absorbed.breaker);

    let reduce_only = status == MarketStatus::ReduceOnly || observation.breaker.tripped == 1;
    // The fee at the variance this print leaves (a trader posting a jump and trading on it pays for it); the
    // fund's share as the last refresh worked it out (the cautious share once it is stale or the price has gapped
    // since).
    let controls = market.controls.for_trade(&market.params, market.refresh_point(now), reduce_only).or_reject()?;
    let before = account.balances;
    // Paused: nothing that adds risk, but a trader can always reduce, since liquidations and funding go on.
    let adds_risk = before.position.fill_increases_risk(base_delta);
    require!(status != MarketStatus::Paused || !adds_risk, BackstopError::MarketPaused);
    // At a print far from its EMA: nothing that adds risk; a reduction at the worse of print and EMA for it.
    let price = view.for_fill(before.position.base, adds_risk, now, &market.fill_rules()).or_reject()?;
    let funding_settled = ledger::pending_funding(&before, &market.books).or_reject()?;
    let liability_before = market.books.vault_liability().or_reject()?;
    let outcome = ledger::trade(&before, &market.books, base_delta, &price, &market.params, &controls).or_reject()?;
    let fee_paid = outcome.fee.total().or_reject()?;

    // A trade moves value between the trader, the pool and the fee accruals, never into or out of the vault.
    let liability_after = outcome.books.market.vault_liability().or_reject()?;
    require_eq!(liability_before, liability_after, BackstopError::ConservationViolated);

    let ledger_before = market.books;
    market.books = outcome.books.market;
    let moved = book.upkeep(&mut account.book_term, &before, &outcome.books.trader, &ledger_before)?;
    if adds_risk {
        crate::admission::admit(market, book, &moved, fund_balance, &price, now)?;
    }
    market.cumulative_volume = market.cumulative_volume.saturating_add(outcome.fill_notional);
    market.cumulative_fees = market.cumulative_fees.saturating_add(fee_paid);
    account.balances = outcome.books.trader;
    account.realized_pnl = account.realized_pnl.checked_add(outcome.realized_pnl).ok_or(BackstopError::Overflow)?;
    account.fees_paid = account.fees_paid.saturating_add(fee_paid);
    Ok(TradeApplied { before, outcome, price, accrual, observation, funding_settled })
}
