//! The stack reader against the SDK's on inputs laid out as the runtime lays them out.

use super::*;
use anchor_lang::solana_program::entrypoint::deserialize;

/// One account of a test input: a new one, or a repeat of an earlier one by index.
enum Slot {
    New { key: u8, signer: bool, writable: bool, executable: bool, lamports: u64, data: Vec<u8> },
    Repeat(u8),
}

/// The runtime's serialization of `slots`, `data` and the program id (aligned ABI), in 8-aligned memory.
fn serialize(slots: &[Slot], data: &[u8]) -> Vec<u64> {
    let mut bytes = (slots.len() as u64).to_le_bytes().to_vec();
    for slot in slots {
        match slot {
            Slot::New { key, signer, writable, executable, lamports, data } => {
                bytes.extend([NON_DUP_MARKER, u8::from(*signer), u8::from(*writable), u8::from(*executable)]);
                bytes.extend([0xAA; 4]); // padding: the reader writes the original length here
                bytes.extend([*key; 32]);
                bytes.extend([key.wrapping_add(100); 32]);
                bytes.extend(lamports.to_le_bytes());
                bytes.extend((data.len() as u64).to_le_bytes());
                bytes.extend(data);
                bytes.extend(vec![0; MAX_PERMITTED_DATA_INCREASE]);
                bytes.resize(bytes.len().next_multiple_of(8), 0);
                bytes.extend(u64::MAX.to_le_bytes()); // rent epoch
            }
            Slot::Repeat(index) => bytes.extend([*index, 0, 0, 0, 0, 0, 0, 0]),
        }
    }
    bytes.extend((data.len() as u64).to_le_bytes());
    bytes.extend(data);
    bytes.extend([7; 32]);
    bytes.resize(bytes.len().next_multiple_of(8), 0);
    bytes.chunks(8).map(|word| u64::from_le_bytes(word.try_into().expect("8 bytes"))).collect()
}

fn new(key: u8, signer: bool, writable: bool, executable: bool, len: usize) -> Slot {
    let data = (0..len).map(|byte| byte as u8 ^ key).collect();
    Slot::New { key, signer, writable, executable, lamports: 1_000 + u64::from(key), data }
}

#[allow(clippy::declare_interior_mutable_const)]
const UNREAD: MaybeUninit<AccountInfo> = MaybeUninit::uninit();

/// Reads `input` with both readers (each on its own copy) and checks they agree on everything, including the bytes
/// each wrote into its input and where each account's data lies within it.
fn assert_readers_agree(slots: &[Slot], data: &[u8]) {
    let (mut ours, mut sdk) = (serialize(slots, data), serialize(slots, data));
    let (our_base, sdk_base) = (ours.as_mut_ptr() as *mut u8, sdk.as_mut_ptr() as *mut u8);
    let mut accounts = [UNREAD; STACK_ACCOUNTS];
    let (program_id, count, ix_data) = unsafe { read_input(our_base, &mut accounts) }.expect("fits on the stack");
    let ours_read = unsafe { &*(&accounts[..count] as *const [MaybeUninit<AccountInfo>] as *const [AccountInfo]) };
    let (sdk_program, sdk_read, sdk_data) = unsafe { deserialize(sdk_base) };
    assert_eq!((program_id, ix_data), (sdk_program, sdk_data));
    assert_eq!(count, sdk_read.len());
    for (a, b) in ours_read.iter().zip(&sdk_read) {
        assert_eq!(
            (a.key, a.owner, a.is_signer, a.is_writable, a.executable),
            (b.key, b.owner, b.is_signer, b.is_writable, b.executable)
        );
        assert_eq!(a.lamports(), b.lamports());
        assert_eq!(*a.try_borrow_data().expect("data"), *b.try_borrow_data().expect("data"));
        let where_ours = a.try_borrow_data().expect("data").as_ptr() as usize - our_base as usize;
        let where_sdk = b.try_borrow_data().expect("data").as_ptr() as usize - sdk_base as usize;
        assert_eq!(where_ours, where_sdk);
    }
    drop((accounts, sdk_read));
    assert_eq!(ours, sdk, "both readers write the same bytes into their input");
}

#[test]
fn reads_what_the_sdk_reads() {
    let slots = [
        new(1, true, true, false, 10),
        new(2, false, false, false, 0),
        Slot::Repeat(0),
        new(3, false, true, true, 33),
        Slot::Repeat(3),
        new(4, false, false, false, 4_096),
    ];
    assert_readers_agree(&slots, &[9, 8, 7, 6, 5, 4, 3, 2, 1]);
    assert_readers_agree(&[], &[]);
    assert_readers_agree(&[new(5, true, false, false, 1)], &[1; 40]);
}

#[test]
fn a_repeated_account_shares_its_original() {
    let mut input = serialize(&[new(1, true, true, false, 8), Slot::Repeat(0)], &[]);
    let mut accounts = [UNREAD; STACK_ACCOUNTS];
    let (_, count, _) = unsafe { read_input(input.as_mut_ptr() as *mut u8, &mut accounts) }.expect("read");
    let read = unsafe { &*(&accounts[..count] as *const [MaybeUninit<AccountInfo>] as *const [AccountInfo]) };
    **read[1].try_borrow_mut_lamports().expect("lamports") = 42;
    read[1].try_borrow_mut_data().expect("data")[0] = 0xEE;
    assert_eq!((read[0].lamports(), read[0].try_borrow_data().expect("data")[0]), (42, 0xEE));
    // One borrow for both: the repeat cannot be written while the original is held.
    let held = read[0].try_borrow_mut_data().expect("data");
    assert!(read[1].try_borrow_data().is_err());
    drop(held);
}

#[test]
fn more_accounts_than_the_stack_holds_go_to_the_sdk_reader() {
    let mut slots = vec![new(1, false, false, false, 0)];
    slots.extend((0..STACK_ACCOUNTS).map(|_| Slot::Repeat(0)));
    let mut input = serialize(&slots, &[]);
    let mut accounts = [UNREAD; STACK_ACCOUNTS];
    assert!(unsafe { read_input(input.as_mut_ptr() as *mut u8, &mut accounts) }.is_none());
    let (_, read, _) = unsafe { deserialize(input.as_mut_ptr() as *mut u8) };
    assert_eq!(read.len(), STACK_ACCOUNTS + 1);
}
