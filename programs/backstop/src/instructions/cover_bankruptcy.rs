use crate::error::{BackstopError, OrReject};
use crate::events::{BankruptcyCovered, EventHeader, WaterfallLayer, WaterfallStep};
use crate::oracle;
use crate::state::{InsuranceFund, MarginAccount, Market};
use crate::vault;
use anchor_lang::prelude::*;
use anchor_spl::token::Token;
use backstop_math::ledger::{self, CoverOutcome, SOCIAL_INDEX_ONE};
use backstop_math::oracle::OracleView;
use backstop_math::staking::OtherAssets;
use backstop_math::waterfall::WaterfallPlan;

#[event_cpi]
#[derive(Accounts)]
pub struct CoverBankruptcy<'info> {
    /// The bankrupt account's market (PDA `[MARKET, market_id u16 LE]`): its books and its draw window on the fund take
    /// the waterfall's outcome.
    #[account(
        mut,
        has_one = vault @ BackstopError::VaultMismatch,
        has_one = collateral_mint @ BackstopError::MintMismatch,
        has_one = insurance_fund @ BackstopError::FundMismatch
    )]
    pub market: AccountLoader<'info, Market>,
    /// The bankrupt margin account in `market` (PDA `[MARGIN_ACCOUNT, market, owner]`): its deficit is covered and it
    /// ends at zero, usable again.
    #[account(mut, has_one = market @ BackstopError::MarketMismatch)]
    pub bankrupt_account: AccountLoader<'info, MarginAccount>,
    /// The insurance fund backing `market` (the market's `insurance_fund`; PDA `[INSURANCE_FUND, fund_id u16 LE]`):
    /// pays the first layer of the deficit from its vault into the market vault, signing that transfer.
    #[account(mut, constraint = insurance_fund.load()?.vault == fund_vault.key() @ BackstopError::VaultMismatch)]
    pub insurance_fund: AccountLoader<'info, InsuranceFund>,
    /// The fund's token vault (PDA `[FUND_VAULT, fund]`): pays the fund's part of the deficit.
    /// CHECK: the fund's vault (constraint above), a token account the program created: read as bytes.
    #[account(mut)]
    pub fund_vault: UncheckedAccount<'info>,
    /// The market's token vault (PDA `[MARKET_VAULT, market]`): receives the fund's payment.
    /// CHECK: the market's vault (`has_one` above), a token account the program created: read as bytes.
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,
    /// The market's collateral mint.
    /// CHECK: the market's collateral mint (`has_one` above); a transfer needs only its address.
    pub collateral_mint: UncheckedAccount<'info>,
    /// The market's configured oracle account (its `oracle`); read to value the LP pool's equity (the clawback layer).
    /// CHECK: must be the market's oracle (the pool's equity depends on the price). checked at #oracle
    pub oracle: UncheckedAccount<'info>,
    /// Anyone: cover is permissionless.
    pub keeper: Signer<'info>,
    pub token_program: Program<'info, Token>,
}

/// Covers a bankrupt account through the waterfall:
///
/// 1. the insurance fund pays up to its balance and the market's draw cap left in this window (tokens move from
///    the fund vault to the market vault);
/// 2. the LP pool writes off the credit it took for the rest of the loss, as far as its equity goes;
/// 3. what would take the pool below zero is socialized over every positive balance in the market, through an
///    index applied lazily;
/// 4. what exceeds even that is recorded as uncovered.
///
/// Every layer that bears part of the deficit emits a `WaterfallStep`, in order, and `BankruptcyCovered` sums them
/// all (zeros included); layers that bore nothing emit nothing, since each event is a self-CPI (~900 compute
/// units). The account ends at zero, usable again. A second cover of the same account finds nothing to cover
/// (`NotBankrupt`).
pub fn handle_cover_bankruptcy(ctx: Context<CoverBankruptcy>) -> Result<()> {
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let mut market = ctx.accounts.market.load_mut()?;
    let view = oracle::read_market_oracle(&ctx.accounts.oracle, &market, now)?;
    let mut account = ctx.accounts.bankrupt_account.load_mut()?;
    let mut fund = ctx.accounts.insurance_fund.load_mut()?;
    let outcome = apply_cover(&mut market, &mut account, &mut fund, &view, now)?;
    let plan = outcome.plan;
    let owed = market.books.vault_liability().or_reject()?;
    let index_after =
        if market.books.social_loss_index == 0 { SOCIAL_INDEX_ONE } else { market.books.social_loss_index };
    let (fund_balance_after, fund_owed, owner) = (fund.book.balance, fund.book.balance, account.owner);
    let signer = fund.signer();
    drop((market, account, fund));

    if plan.fund > 0 {
        let accounts = &ctx.accounts;
        vault::push(
            &accounts.token_program,
            &accounts.fund_vault,
            &accounts.vault,
            accounts.insurance_fund.to_account_info(),
            &signer.seeds(),
            plan.fund,
        )?;
    }
    vault::require_covers(&ctx.accounts.vault, owed)?;
    vault::require_covers(&ctx.accounts.fund_vault, fund_owed)?;

    emit_steps(&ctx, &clock, owner, outcome.deficit, &plan)?;
    crate::events::emit(
        &ctx.accounts.event_authority,
        &BankruptcyCovered {
            header: EventHeader::now(&clock),
            market: ctx.accounts.market.key(),
            account: owner,
            keeper: ctx.accounts.keeper.key(),
            deficit: outcome.deficit,
            paid_by_fund: plan.fund,
            clawed_back_from_lps: plan.lp_clawback,
            socialized: plan.socialized,
            uncovered: plan.uncovered,
            fund_balance_after,
            social_loss_index_after: index_after,
        },
    )?;
    Ok(())
}

fn emit_steps(
    ctx: &Context<CoverBankruptcy>,
    clock: &Clock,
    owner: Pubkey,
    deficit: u64,
    plan: &WaterfallPlan,
) -> Result<()> {
    let layers = [
        (WaterfallLayer::InsuranceFund, plan.fund),
        (WaterfallLayer::LpClawback, plan.lp_clawback),
        (WaterfallLayer::SocializedLoss, plan.socialized),
        (WaterfallLayer::Uncovered, plan.uncovered),
    ];
    let mut remaining = deficit;
    for (layer, amount) in layers.into_iter().filter(|(_, amount)| *amount > 0) {
        remaining = remaining.saturating_sub(amount);
        crate::events::emit(
            &ctx.accounts.event_authority,
            &WaterfallStep {
                header: EventHeader::now(clock),
                market: ctx.accounts.market.key(),
                account: owner,
                layer,
                amount,
                remaining,
            },
        )?;
    }
    Ok(())
}

/// Everything a cover decides and stores, on the loaded accounts: the fund's book is debited by what it pays,
/// which the handler then moves from the fund vault to the market vault. The crash laboratory's core engine runs
/// this same function in memory.
pub fn apply_cover(
    market: &mut Market,
    account: &mut MarginAccount,
    fund: &mut InsuranceFund,
    view: &OracleView,
    now: i64,
) -> Result<CoverOutcome> {
    // A cover runs in a crash: at a print far from its EMA, the pool is valued at the band's edge.
    let price = market.absorb_oracle(view, now)?.price;
    let (cap, window) = (market.params.fund_draw_cap, market.params.fund_draw_window_secs);
    let fund_available = fund.book.balance.min(market.fund_draw.remaining(now, cap, window));
    let outcome = ledger::cover_bankruptcy(&account.balances, &market.books, &price, fund_available).or_reject()?;
    let plan = outcome.plan;

    market.books = outcome.books.market;
    market.fund_draw = market.fund_draw.record(now, window, plan.fund);
    market.cumulative_fund_cover = market.cumulative_fund_cover.saturating_add(plan.fund);
    market.cumulative_lp_clawback = market.cumulative_lp_clawback.saturating_add(plan.lp_clawback);
    market.cumulative_socialized = market.cumulative_socialized.saturating_add(plan.socialized);
    market.cumulative_uncovered = market.cumulative_uncovered.saturating_add(plan.uncovered);
    account.balances = outcome.books.trader;
    // Covers lower share value at once (unvested revenue first).
    fund.book.pay_cover(plan.fund, now, &OtherAssets::NONE).or_reject()?;
    fund.deficits_covered = fund.deficits_covered.saturating_add(plan.fund);
    Ok(outcome)
}
