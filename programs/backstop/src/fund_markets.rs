//! The markets an insurance fund backs, passed as remaining accounts. One reader for every instruction that must
//! see them: `unstake` nets what the fund is about to pay for the bankruptcies pending in each (so a staker cannot
//! leave between a liquidation and its cover at full value), `fund_health` reports them.

use crate::error::BackstopError;
use crate::state::{Market, MarketBook};
use anchor_lang::prelude::*;

/// Most markets one fund may back: every unstake names them all (with its other accounts, within a transaction's
/// account limit), and `fund_health` reads each with its book.
pub const MAX_FUND_MARKETS: u16 = 16;

/// Calls `visit` with each market in `infos`: each must be a market account of this program, backed by `fund`,
/// and named once.
pub fn visit<'info>(
    fund: &Pubkey,
    infos: &'info [AccountInfo<'info>],
    mut visit: impl FnMut(&Pubkey, &Market) -> Result<()>,
) -> Result<()> {
    for (index, info) in infos.iter().enumerate() {
        with_market(fund, infos[..index].iter(), info, |market| visit(info.key, market))?;
    }
    Ok(())
}

/// As [`visit`], over `[market, its bankruptcy book]` pairs: each book must be that market's.
pub fn visit_with_books<'info>(
    fund: &Pubkey,
    infos: &'info [AccountInfo<'info>],
    mut visit: impl FnMut(&Pubkey, &Market, &MarketBook) -> Result<()>,
) -> Result<()> {
    require!(infos.len().is_multiple_of(2), BackstopError::InvalidMarketList);
    for (index, pair) in infos.chunks_exact(2).enumerate() {
        let (info, book_info) = (&pair[0], &pair[1]);
        with_market(fund, infos[..2 * index].iter().step_by(2), info, |market| {
            let book_loader = AccountLoader::<MarketBook>::try_from(book_info)?;
            let book = MarketBook::read_for(&book_loader, info.key)?;
            visit(info.key, market, &book)
        })?;
    }
    Ok(())
}

/// Runs `visit` on the market `info` after the checks every list of a fund's markets makes: not named before (among
/// `earlier`), the program's `Market`, backed by `fund`.
fn with_market<'a, 'info: 'a>(
    fund: &Pubkey,
    mut earlier: impl Iterator<Item = &'a AccountInfo<'info>>,
    info: &'info AccountInfo<'info>,
    visit: impl FnOnce(&Market) -> Result<()>,
) -> Result<()> {
    require!(earlier.all(|seen| seen.key != info.key), BackstopError::InvalidMarketList);
    let loader = AccountLoader::<Market>::try_from(info)?;
    let market = loader.load()?;
    require_keys_eq!(market.insurance_fund, *fund, BackstopError::FundMismatch);
    visit(&market)
}

/// What the fund is about to be asked for: in every market it backs, the bankruptcies awaiting cover, each market
/// at most its draw cap (a cover pays no more in a window; counting the whole cap rather than what is left of
/// the window errs against the leaver, since the window may reset before the cover). All `markets_backed`
/// markets must be named, or a staker could leave out the one with the loss. While a market's last print lay
/// beyond its EMA band, losses beyond the band may not be recognised yet: nobody leaves until a print inside it.
pub fn exposure<'info>(fund: &Pubkey, markets_backed: u16, infos: &'info [AccountInfo<'info>]) -> Result<u64> {
    require!(infos.len() == usize::from(markets_backed), BackstopError::InvalidMarketList);
    let mut total = 0u64;
    visit(fund, infos, |_, market| {
        total = total.checked_add(market_exposure(market)?).ok_or(BackstopError::Overflow)?;
        Ok(())
    })?;
    Ok(total)
}

/// One market's part of [`exposure`]: its bankruptcies awaiting cover, at most its draw cap; refused while its last
/// print lay beyond the EMA band.
pub fn market_exposure(market: &Market) -> Result<u64> {
    require!(market.last_read_diverged == 0, BackstopError::OracleDivergedFromEma);
    Ok(market.books.bankrupt_deficit.min(market.params.fund_draw_cap))
}
