//! Account creation at a PDA that a stranger may already have sent lamports to.
//!
//! Anyone can transfer lamports to an address before its owner creates the account there. The System program's
//! `create_account` refuses such an address, and Anchor 1.2's `init` then asks for `CreateAccountAllowPrefund`,
//! which clusters without that feature refuse too: one transfer of the rent minimum would block a user's margin
//! account, or the exchange's next market id, forever. So program accounts here are created the classic way:
//! top up, allocate, assign, each signed by the PDA's seeds.

use crate::error::BackstopError;
use anchor_lang::prelude::*;
use anchor_lang::system_program::{
    allocate, assign, create_account, transfer, Allocate, Assign, CreateAccount, Transfer,
};
use anchor_lang::{Discriminator, ZeroCopy};

/// Creates `target` (the PDA of `seeds`, bump included) with `space` bytes owned by `owner`, paid by `payer`.
/// Fails with `AccountAlreadyInitialized` if anything but the System program owns it or it holds data.
pub fn create<'info>(
    payer: &AccountInfo<'info>,
    target: &AccountInfo<'info>,
    system_program: &AccountInfo<'info>,
    space: usize,
    owner: &Pubkey,
    seeds: &[&[u8]],
) -> Result<()> {
    require_keys_eq!(*target.owner, anchor_lang::system_program::ID, BackstopError::AccountAlreadyInitialized);
    require!(target.data_is_empty(), BackstopError::AccountAlreadyInitialized);
    let rent = Rent::get()?.minimum_balance(space);
    let signer = &[seeds];
    let program = system_program.key();
    let current = target.lamports();
    if current == 0 {
        let accounts = CreateAccount { from: payer.clone(), to: target.clone() };
        return create_account(CpiContext::new_with_signer(program, accounts, signer), rent, space as u64, owner);
    }
    let top_up = rent.saturating_sub(current);
    if top_up > 0 {
        transfer(CpiContext::new(program, Transfer { from: payer.clone(), to: target.clone() }), top_up)?;
    }
    allocate(
        CpiContext::new_with_signer(program, Allocate { account_to_allocate: target.clone() }, signer),
        space as u64,
    )?;
    assign(CpiContext::new_with_signer(program, Assign { account_to_assign: target.clone() }, signer), owner)
}

/// Creates a zero-copy program account at its PDA and fills it: discriminator, then `fill` over zeroed fields.
pub fn create_zero_copy<'info, T: ZeroCopy + Discriminator>(
    payer: &AccountInfo<'info>,
    target: &AccountInfo<'info>,
    system_program: &AccountInfo<'info>,
    seeds: &[&[u8]],
    fill: impl FnOnce(&mut T),
) -> Result<()> {
    let size = core::mem::size_of::<T>();
    create(payer, target, system_program, 8 + size, &crate::ID, seeds)?;
    let mut data = target.try_borrow_mut_data()?;
    data[..8].copy_from_slice(T::DISCRIMINATOR);
    fill(bytemuck::from_bytes_mut(&mut data[8..8 + size]));
    Ok(())
}
