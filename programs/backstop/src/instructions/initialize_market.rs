use crate::error::{BackstopError, OrReject};
use crate::events::{EventHeader, MarketInitialized};
use crate::oracle;
use crate::seeds;
use crate::state::{Exchange, InsuranceFund, Market, MarketStatus, OracleConfig};
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};
use backstop_math::constants::QUOTE_DECIMALS;
use backstop_math::params::MarketParams;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct InitializeMarketArgs {
    /// Must be the exchange's next market id.
    pub market_id: u16,
    pub oracle: OracleConfig,
    pub params: MarketParams,
}

#[event_cpi]
#[derive(Accounts)]
#[instruction(args: InitializeMarketArgs)]
pub struct InitializeMarket<'info> {
    #[account(mut, seeds = [seeds::EXCHANGE], bump = exchange.load()?.bump, has_one = authority @ BackstopError::Unauthorized)]
    pub exchange: AccountLoader<'info, Exchange>,
    pub authority: Signer<'info>,
    /// market_id must be the exchange's next id. checked at #1
    #[account(
        init,
        payer = payer,
        space = 8 + core::mem::size_of::<Market>(),
        seeds = [seeds::MARKET, &args.market_id.to_le_bytes()],
        bump
    )]
    pub market: AccountLoader<'info, Market>,
    #[account(
        init,
        payer = payer,
        seeds = [seeds::MARKET_VAULT, market.key().as_ref()],
        bump,
        token::mint = collateral_mint,
        token::authority = market,
        token::token_program = token_program
    )]
    pub vault: Box<Account<'info, TokenAccount>>,
    #[account(constraint = collateral_mint.decimals == QUOTE_DECIMALS @ BackstopError::InvalidCollateralMint)]
    pub collateral_mint: Box<Account<'info, Mint>>,
    /// The fund must hold the same token as the market's collateral, since it pays deficits into the vault.
    #[account(constraint = insurance_fund.load()?.mint == collateral_mint.key() @ BackstopError::MintMismatch)]
    pub insurance_fund: AccountLoader<'info, InsuranceFund>,
    /// CHECK: owner, layout, feed and verification checked by decoding it as `args.oracle` at #2
    pub oracle: UncheckedAccount<'info>,
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
        oracle::validate_config(&args.oracle)?;
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
    let now = Clock::get()?.unix_timestamp;
    let listing_eta = crate::instructions::governance::eta(now, delay)?;

    let mut market = ctx.accounts.market.load_init()?;
    market.insurance_fund = ctx.accounts.insurance_fund.key();
    market.collateral_mint = ctx.accounts.collateral_mint.key();
    market.vault = ctx.accounts.vault.key();
    market.oracle = ctx.accounts.oracle.key();
    market.params = args.params;
    market.market_id = args.market_id;
    // Listing is a loosening change: the market opens only after the timelock (`activate_market`).
    market.status = MarketStatus::Listing as u8;
    market.listing_eta = listing_eta;
    market.oracle_kind = args.oracle.kind;
    market.oracle_receiver = args.oracle.receiver;
    market.oracle_feed_id = args.oracle.feed_id;
    market.oracle_min_signatures = args.oracle.min_signatures;
    market.bump = ctx.bumps.market;
    market.vault_bump = ctx.bumps.vault;
    drop(market);

    emit_cpi!(MarketInitialized {
        header: EventHeader::now(&Clock::get()?),
        market: ctx.accounts.market.key(),
        market_id: args.market_id,
        collateral_mint: ctx.accounts.collateral_mint.key(),
        oracle: ctx.accounts.oracle.key(),
        insurance_fund: ctx.accounts.insurance_fund.key(),
        listing_eta,
    });
    Ok(())
}
