//! The deployed binary's entrypoint (feature `lean-entrypoint`, which `scripts/build-sbf.sh` turns on): the
//! runtime's input read into account views on the stack instead of a heap vector, then Anchor's dispatcher.
//!
//! Why: Anchor's default entrypoint (`solana_program`'s `entrypoint!`) costs ~160 compute units per account before
//! an instruction's first line runs; a trade names eight accounts. Reading them into a fixed array with the offsets
//! written out costs ~110 (the two reference-counted cells every `AccountInfo` holds are most of what is left).
//! Measured in the VM suite, docs/sbf-and-compute-units.md. Every byte read and written is exactly what the SDK's
//! reader reads and writes, which its tests (`entrypoint/tests.rs`) check on serialized inputs with a duplicate
//! account.
//!
//! An instruction naming more accounts than the array holds (a transaction can repeat an account beyond the 64 it
//! may lock) falls back to the SDK's reader, so no input the runtime can send is refused here.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::entrypoint::{MAX_PERMITTED_DATA_INCREASE, NON_DUP_MARKER};
use core::mem::MaybeUninit;

/// Accounts read onto the stack; more go through the SDK's heap reader.
pub const STACK_ACCOUNTS: usize = 64;

/// Bytes of an account's fixed header in the input: dup marker, signer, writable, executable, original length (u32),
/// key, owner, lamports, data length.
const HEADER: usize = 8 + 32 + 32 + 8 + 8;
/// The rent epoch the runtime writes after each account's data (unread: deprecated).
const RENT_EPOCH: usize = 8;
/// The alignment the runtime pads each account's data region to.
const ALIGN: usize = 8;

/// Reads the runtime's serialized input into `accounts`, returning the program id, how many accounts were read and
/// the instruction data, or `None` when the input names more accounts than `accounts` holds.
///
/// # Safety
/// `input` must be a buffer serialized by the runtime (the input region of a program invocation), or one built to
/// its layout as the tests do.
#[inline(always)]
pub unsafe fn read_input<'a>(
    input: *mut u8,
    accounts: &mut [MaybeUninit<AccountInfo<'a>>; STACK_ACCOUNTS],
) -> Option<(&'a Pubkey, usize, &'a [u8])> {
    // SAFETY: every offset below follows the runtime's layout (the caller's contract): a u64 count, then each
    // account either as a one-byte index of an earlier one padded to 8, or as its header, data, realloc room,
    // padding to 8 and rent epoch; then the instruction data's length and bytes and the program id.
    unsafe {
        let count = usize::try_from(*(input as *const u64)).ok()?;
        if count > STACK_ACCOUNTS {
            return None;
        }
        // Offsets from `input`, as the SDK's reader counts them (its padding is relative to the input's start).
        let mut offset = 8;
        for index in 0..count {
            let at = input.add(offset);
            let marker = *at;
            let account = if marker == NON_DUP_MARKER {
                let len = usize::try_from(*(at.add(80) as *const u64)).ok()?;
                // The length before this instruction, which `AccountInfo::resize` checks a reallocation against
                // (the four bytes are padding in the input; the SDK's reader fills them the same way).
                *(at.add(4) as *mut u32) = u32::try_from(len).ok()?;
                offset += HEADER + len + MAX_PERMITTED_DATA_INCREASE + RENT_EPOCH;
                offset = offset.next_multiple_of(ALIGN);
                AccountInfo::new(
                    &*(at.add(8) as *const Pubkey),
                    *at.add(1) != 0,
                    *at.add(2) != 0,
                    &mut *(at.add(72) as *mut u64),
                    core::slice::from_raw_parts_mut(at.add(HEADER), len),
                    &*(at.add(40) as *const Pubkey),
                    *at.add(3) != 0,
                )
            } else {
                // A repeat of an earlier account, by its index (the runtime only ever names an earlier one).
                offset += 8;
                let original = usize::from(marker);
                if original >= index {
                    return None;
                }
                accounts.get(original)?.assume_init_ref().clone()
            };
            accounts.get_mut(index)?.write(account);
        }
        let len = usize::try_from(*(input.add(offset) as *const u64)).ok()?;
        let data = core::slice::from_raw_parts(input.add(offset + 8), len);
        Some((&*(input.add(offset + 8 + len) as *const Pubkey), count, data))
    }
}

/// The program's entrypoint: the input read ([`read_input`], or the SDK's reader beyond [`STACK_ACCOUNTS`]), then
/// Anchor's dispatcher, exactly as Anchor's own entrypoint calls it.
///
/// # Safety
/// Called by the runtime with its input region.
#[cfg(all(feature = "lean-entrypoint", target_os = "solana"))]
#[no_mangle]
pub unsafe extern "C" fn entrypoint(input: *mut u8) -> u64 {
    #[allow(clippy::declare_interior_mutable_const)]
    const UNREAD: MaybeUninit<AccountInfo> = MaybeUninit::uninit();
    let mut accounts = [UNREAD; STACK_ACCOUNTS];
    // SAFETY: the runtime's input; `count` accounts were written.
    match unsafe { read_input(input, &mut accounts) } {
        Some((program_id, count, data)) => {
            let read = unsafe { &*(&accounts[..count] as *const [MaybeUninit<AccountInfo>] as *const [AccountInfo]) };
            call_program(program_id, read, data)
        }
        None => {
            let (program_id, read, data) = unsafe { anchor_lang::solana_program::entrypoint::deserialize(input) };
            call_program(program_id, &read, data)
        }
    }
}

/// Anchor's dispatcher in a frame of its own: the account array above fills most of the entrypoint's 4 KiB
/// frame, and were the dispatcher inlined into it (link-time optimisation may), the two would not fit.
#[cfg(all(feature = "lean-entrypoint", target_os = "solana"))]
#[inline(never)]
fn call_program<'info>(program_id: &'info Pubkey, accounts: &'info [AccountInfo<'info>], data: &'info [u8]) -> u64 {
    match crate::entry(program_id, accounts, data) {
        Ok(()) => anchor_lang::solana_program::entrypoint::SUCCESS,
        Err(error) => error.into(),
    }
}

// The entrypoint above exists only for target_os = "solana" (both SBF routes set it); a BPF target without it would
// build a program with no entrypoint at all, since the feature turns Anchor's off.
#[cfg(all(feature = "lean-entrypoint", target_arch = "bpf", not(target_os = "solana")))]
compile_error!("lean-entrypoint needs target_os = \"solana\" (scripts/build-sbf.sh or cargo build-sbf)");

#[cfg(all(feature = "lean-entrypoint", target_os = "solana"))]
anchor_lang::solana_program::entrypoint::custom_heap_default!();
#[cfg(all(feature = "lean-entrypoint", target_os = "solana"))]
anchor_lang::solana_program::entrypoint::custom_panic_default!();

#[cfg(test)]
mod tests;
