//! Token movements in and out of program vaults, and the conservation check after each.

use crate::error::BackstopError;
use anchor_lang::prelude::*;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_spl::token::{initialize_account3, transfer, InitializeAccount3, Token, TokenAccount, Transfer};

/// Moves `amount` from a user's token account into a vault; `authority` signed the transaction.
pub fn pull<'info>(
    token_program: &Program<'info, Token>,
    from: &Account<'info, TokenAccount>,
    to: &Account<'info, TokenAccount>,
    mint: &Pubkey,
    authority: &Signer<'info>,
    amount: u64,
) -> Result<()> {
    require_keys_eq!(from.mint, *mint, BackstopError::MintMismatch);
    let accounts =
        Transfer { from: from.to_account_info(), to: to.to_account_info(), authority: authority.to_account_info() };
    transfer(CpiContext::new(token_program.key(), accounts), amount)
}

/// Moves `amount` out of a vault owned by the PDA `vault_authority` (whose seeds are `seeds`).
pub fn push<'info>(
    token_program: &Program<'info, Token>,
    from: &Account<'info, TokenAccount>,
    to: &Account<'info, TokenAccount>,
    mint: &Pubkey,
    vault_authority: AccountInfo<'info>,
    seeds: &[&[u8]],
    amount: u64,
) -> Result<()> {
    require_keys_eq!(to.mint, *mint, BackstopError::MintMismatch);
    let accounts = Transfer { from: from.to_account_info(), to: to.to_account_info(), authority: vault_authority };
    let signer = &[seeds];
    transfer(CpiContext::new_with_signer(token_program.key(), accounts, signer), amount)
}

/// After a transfer: the vault must still hold at least what the program owes from it. More is allowed (anyone
/// may send tokens to a vault); less would mean the books promise money that is not there. Reads the amount
/// straight from the account's bytes: a full `reload` would unpack the whole token account again.
pub fn require_covers(vault: &Account<TokenAccount>, owed: u64) -> Result<()> {
    let info = vault.to_account_info();
    let data = info.try_borrow_data()?;
    let amount = data
        .get(TOKEN_AMOUNT_OFFSET..TOKEN_AMOUNT_OFFSET + 8)
        .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
        .map(u64::from_le_bytes)
        .ok_or(BackstopError::VaultUndercollateralized)?;
    require_gte!(amount, owed, BackstopError::VaultUndercollateralized);
    Ok(())
}

/// Where an SPL token account keeps its amount: after the mint and the owner.
const TOKEN_AMOUNT_OFFSET: usize = 64;

/// Creates a program vault: a token account of `mint` at the PDA of `seeds`, owned by the PDA `authority`.
/// Like every program account, it is created even if someone already sent its address lamports (`crate::pda`).
pub fn create<'info>(
    payer: &AccountInfo<'info>,
    vault: &AccountInfo<'info>,
    mint: &AccountInfo<'info>,
    authority: &AccountInfo<'info>,
    token_program: &Program<'info, Token>,
    system_program: &AccountInfo<'info>,
    seeds: &[&[u8]],
) -> Result<()> {
    let space = anchor_spl::token::spl_token::state::Account::LEN;
    crate::pda::create(payer, vault, system_program, space, &token_program.key(), seeds)?;
    let accounts = InitializeAccount3 { account: vault.clone(), mint: mint.clone(), authority: authority.clone() };
    initialize_account3(CpiContext::new(token_program.key(), accounts))
}
