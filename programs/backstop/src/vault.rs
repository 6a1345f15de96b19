//! Token movements in and out of program vaults, and the conservation check after each.

use crate::error::BackstopError;
use anchor_lang::prelude::*;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_spl::token::{
    initialize_account3, transfer_checked, InitializeAccount3, Mint, Token, TokenAccount, TransferChecked,
};

/// Moves `amount` from a user's token account into a vault; `authority` signed the transaction.
pub fn pull<'info>(
    token_program: &Program<'info, Token>,
    from: &Account<'info, TokenAccount>,
    to: &Account<'info, TokenAccount>,
    mint: &Account<'info, Mint>,
    authority: &Signer<'info>,
    amount: u64,
) -> Result<()> {
    let accounts = TransferChecked {
        from: from.to_account_info(),
        mint: mint.to_account_info(),
        to: to.to_account_info(),
        authority: authority.to_account_info(),
    };
    transfer_checked(CpiContext::new(token_program.key(), accounts), amount, mint.decimals)
}

/// Moves `amount` out of a vault owned by the PDA `vault_authority` (whose seeds are `seeds`).
pub fn push<'info>(
    token_program: &Program<'info, Token>,
    from: &Account<'info, TokenAccount>,
    to: &Account<'info, TokenAccount>,
    mint: &Account<'info, Mint>,
    vault_authority: AccountInfo<'info>,
    seeds: &[&[u8]],
    amount: u64,
) -> Result<()> {
    let accounts = TransferChecked {
        from: from.to_account_info(),
        mint: mint.to_account_info(),
        to: to.to_account_info(),
        authority: vault_authority,
    };
    let signer = &[seeds];
    transfer_checked(CpiContext::new_with_signer(token_program.key(), accounts, signer), amount, mint.decimals)
}

/// After a transfer: the vault must still hold at least what the program owes from it. More is allowed (anyone
/// may send tokens to a vault); less would mean the books promise money that is not there.
pub fn require_covers(vault: &mut Account<TokenAccount>, owed: u64) -> Result<()> {
    vault.reload()?;
    require_gte!(vault.amount, owed, BackstopError::VaultUndercollateralized);
    Ok(())
}

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
