//! Token movements in and out of program vaults, and the conservation check after each.

use crate::error::BackstopError;
use anchor_lang::prelude::*;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_spl::token::{initialize_account3, transfer, InitializeAccount3, Token, TokenAccount, Transfer};

/// The fields of an SPL token account an instruction checks, read in place: deserialising the whole account
/// (`Account<TokenAccount>`) costs ~750 compute units on SBF, this a few dozen. Refuses what Anchor's type
/// would refuse, with the same errors: another program's account, a wrong size, an uninitialised state.
pub struct TokenAccountView {
    pub mint: Pubkey,
    pub owner: Pubkey,
}

impl TokenAccountView {
    pub fn read(account: &AccountInfo) -> Result<Self> {
        require_keys_eq!(*account.owner, anchor_spl::token::ID, ErrorCode::AccountOwnedByWrongProgram);
        let data = account.try_borrow_data()?;
        let uninitialized = data.get(TOKEN_STATE_OFFSET).is_none_or(|state| *state == 0);
        if data.len() != TokenAccount::LEN || uninitialized {
            return err!(ErrorCode::AccountDidNotDeserialize);
        }
        let key = |at: usize| data.get(at..at + 32).and_then(|b| <[u8; 32]>::try_from(b).ok()).map(Pubkey::from);
        match (key(0), key(32)) {
            (Some(mint), Some(owner)) => Ok(Self { mint, owner }),
            _ => err!(ErrorCode::AccountDidNotDeserialize),
        }
    }
}

/// Where an SPL token account keeps its state (0 uninitialised, 1 initialised, 2 frozen).
const TOKEN_STATE_OFFSET: usize = 108;

/// Moves `amount` from a user's token account into a vault; `authority` signed the transaction. The token
/// program refuses accounts of different mints, and each instruction has checked the user's account against the
/// market's mint by name already.
pub fn pull<'info>(
    token_program: &Program<'info, Token>,
    from: &AccountInfo<'info>,
    vault: &AccountInfo<'info>,
    authority: &Signer<'info>,
    amount: u64,
) -> Result<()> {
    let accounts = Transfer { from: from.clone(), to: vault.clone(), authority: authority.to_account_info() };
    transfer(CpiContext::new(token_program.key(), accounts), amount)
}

/// Moves `amount` out of a vault owned by the PDA `vault_authority` (whose seeds are `seeds`).
pub fn push<'info>(
    token_program: &Program<'info, Token>,
    vault: &AccountInfo<'info>,
    to: &AccountInfo<'info>,
    vault_authority: AccountInfo<'info>,
    seeds: &[&[u8]],
    amount: u64,
) -> Result<()> {
    let accounts = Transfer { from: vault.clone(), to: to.clone(), authority: vault_authority };
    let signer = &[seeds];
    transfer(CpiContext::new_with_signer(token_program.key(), accounts, signer), amount)
}

/// After a transfer: the vault must still hold at least what the program owes from it. More is allowed (anyone
/// may send tokens to a vault); less would mean the books promise money that is not there. Reads the amount
/// straight from the account's bytes: a full `reload` would unpack the whole token account again.
pub fn require_covers(vault: &AccountInfo, owed: u64) -> Result<()> {
    let data = vault.try_borrow_data()?;
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
