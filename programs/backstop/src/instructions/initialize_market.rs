use crate::error::{BackstopError, OrReject};
use crate::events::{EventHeader, MarketInitialized};
use crate::oracle;
use crate::pda;
use crate::seeds;
use crate::state::{Exchange, InsuranceFund, Market, MarketBook, MarketStatus, OracleConfig};
use crate::vault;
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token};
use backstop_math::constants::QUOTE_DECIMALS;
use backstop_math::params::MarketParams;

/// Arguments of `initialize_market`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct InitializeMarketArgs {
    /// Must be the exchange's next market id.
    pub market_id: u16,
    /// Where and how the market reads its price (the oracle account itself is passed as `oracle`).
    pub oracle: OracleConfig,
    /// The market's parameters; every bound is checked.
    pub params: MarketParams,
}

#[event_cpi]
#[derive(Accounts)]
#[instruction(args: InitializeMarketArgs)]
pub struct InitializeMarket<'info> {
    /// The exchange (PDA `[EXCHANGE]`): names the governance authority, gives the market its id (its `market_count`,
    /// then incremented) and sets the listing delay (its timelock delay).
    #[account(mut, has_one = authority @ BackstopError::Unauthorized)]
    pub exchange: AccountLoader<'info, Exchange>,
    /// Signer: the exchange's governance authority.
    pub authority: Signer<'info>,
    /// The new market, created here: PDA `[MARKET, market_id u16 LE]`. Listed: it opens after the timelock
    /// (`activate_market`).
    /// CHECK: the PDA of market_id (the exchange's next id, checked at #1), created here (`pda`)
    #[account(mut, seeds = [seeds::MARKET, &args.market_id.to_le_bytes()], bump)]
    pub market: UncheckedAccount<'info>,
    /// The market's new token vault, created here: PDA `[MARKET_VAULT, market]`, owned by the market; it holds traders'
    /// collateral and the LP pool.
    /// CHECK: the market's vault PDA, created here as a token account of the collateral mint owned by the market
    #[account(mut, seeds = [seeds::MARKET_VAULT, market.key().as_ref()], bump)]
    pub vault: UncheckedAccount<'info>,
    /// The market's bankruptcy book, created here at its first size: PDA `[MARKET_BOOK, market]`; `extend_market_book`
    /// grows the rest.
    /// CHECK: the market's bankruptcy book PDA, created here (`pda`)
    #[account(mut, seeds = [seeds::MARKET_BOOK, market.key().as_ref()], bump)]
    pub market_book: UncheckedAccount<'info>,
    /// The market's collateral token mint (6 decimals, QUOTE_DECIMALS); must be the insurance fund's mint.
    #[account(constraint = collateral_mint.decimals == QUOTE_DECIMALS @ BackstopError::InvalidCollateralMint)]
    pub collateral_mint: Box<Account<'info, Mint>>,
    /// The fund must hold the same token as the market's collateral, since it pays deficits into the vault. It
    /// counts the markets it backs (unstakes must name them all).
    #[account(mut, constraint = insurance_fund.load()?.mint == collateral_mint.key() @ BackstopError::MintMismatch)]
    pub insurance_fund: AccountLoader<'info, InsuranceFund>,
    /// The market's price oracle account (Pyth legacy price account or pull `PriceUpdateV2`), as `args.oracle`
    /// describes it.
    /// CHECK: owner, layout, feed and verification checked by decoding it as `args.oracle` at #2
    pub oracle: UncheckedAccount<'info>,
    /// Payer of the new accounts' rent (the market, its vault and its book).
    #[account(mut)]
    pub payer: Signer<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

impl InitializeMarket<'_> {
    pub fn validate(&self, args: &InitializeMarketArgs) -> Result<()> {
        // #1 Ids are dense, so every market's address is predictable from the exchange.
        require_eq!(args.market_id, self.exchange.load()?.market_count, BackstopError::InvalidId);
        args.params.validate().or_reject()?;
        // #2 The oracle must decode as configured now; freshness is judged at each use.
        oracle::validate_config(&args.oracle, &*self.exchange.load()?)?;
        oracle::decode(&self.oracle.to_account_info(), &args.oracle)?;
        Ok(())
    }
}

#[access_control(ctx.accounts.validate(&args))]
pub fn handle_initialize_market(ctx: Context<InitializeMarket>, args: InitializeMarketArgs) -> Result<()> {
    let mut exchange = ctx.accounts.exchange.load_mut()?;
    exchange.market_count = exchange.market_count.checked_add(1).ok_or(BackstopError::Overflow)?;
    let delay = exchange.timelock_delay_secs;
    drop(exchange);
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let listing_eta = crate::instructions::governance::eta(now, delay)?;
    let mut fund = ctx.accounts.insurance_fund.load_mut()?;
    require!(fund.markets_backed < crate::fund_markets::MAX_FUND_MARKETS, BackstopError::InvalidMarketList);
    fund.markets_backed += 1;
    drop(fund);

    let (market_key, vault_key) = (ctx.accounts.market.key(), ctx.accounts.vault.key());
    let (mint_key, fund_key, oracle_key) =
        (ctx.accounts.collateral_mint.key(), ctx.accounts.insurance_fund.key(), ctx.accounts.oracle.key());
    let (bump, vault_bump) = (ctx.bumps.market, ctx.bumps.vault);
    let id = args.market_id.to_le_bytes();
    let accounts = &ctx.accounts;
    let market_seeds: &[&[u8]] = &[seeds::MARKET, &id, &[bump]];
    pda::create_zero_copy::<Market>(&accounts.payer, &accounts.market, &accounts.system_program, market_seeds, |m| {
        m.insurance_fund = fund_key;
        m.collateral_mint = mint_key;
        m.vault = vault_key;
        m.oracle = oracle_key;
        m.params = args.params;
        m.market_id = args.market_id;
        // Listing is a loosening change: the market opens only after the timelock (`activate_market`).
        m.status = MarketStatus::Listing as u8;
        m.listing_eta = listing_eta;
        m.oracle_kind = args.oracle.kind;
        m.oracle_receiver = args.oracle.receiver;
        m.oracle_feed_id = args.oracle.feed_id;
        m.oracle_min_signatures = args.oracle.min_signatures;
        m.bump = bump;
        m.vault_bump = vault_bump;
    })?;
    let book_bump = ctx.bumps.market_book;
    let book_seeds: &[&[u8]] = &[seeds::MARKET_BOOK, market_key.as_ref(), &[book_bump]];
    // As much of the book as one instruction may allocate, with its header; `extend_market_book` grows the rest.
    let program = crate::ID;
    pda::create(
        &accounts.payer,
        &accounts.market_book,
        &accounts.system_program,
        MarketBook::CREATED_SPACE,
        &program,
        book_seeds,
    )?;
    let mut book = accounts.market_book.try_borrow_mut_data()?;
    book[..8].copy_from_slice(<MarketBook as anchor_lang::Discriminator>::DISCRIMINATOR);
    book[MarketBook::MARKET_OFFSET..MarketBook::MARKET_OFFSET + 32].copy_from_slice(market_key.as_ref());
    book[MarketBook::BUMP_OFFSET] = book_bump;
    drop(book);
    let vault_seeds: &[&[u8]] = &[seeds::MARKET_VAULT, market_key.as_ref(), &[vault_bump]];
    vault::create(
        &accounts.payer,
        &accounts.vault,
        &accounts.collateral_mint.to_account_info(),
        &accounts.market,
        &accounts.token_program,
        &accounts.system_program,
        vault_seeds,
    )?;

    crate::events::emit(
        &ctx.accounts.event_authority,
        &MarketInitialized {
            header: EventHeader::now(&clock),
            market: market_key,
            market_id: args.market_id,
            collateral_mint: mint_key,
            oracle: oracle_key,
            insurance_fund: fund_key,
            listing_eta,
        },
    )?;
    Ok(())
}
