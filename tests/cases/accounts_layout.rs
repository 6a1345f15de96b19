//! Account sizes and the offsets clients filter on are ABI: these tests fail if a layout moves.

use backstop::state::{Exchange, InsuranceFund, LpPosition, MarginAccount, Market};
use core::mem::{offset_of, size_of};

#[test]
fn account_sizes_are_frozen() {
    assert_eq!(size_of::<Exchange>(), 352);
    assert_eq!(size_of::<InsuranceFund>(), 504);
    assert_eq!(size_of::<backstop::state::StakePosition>(), 192);
    assert_eq!(size_of::<Market>(), 1424);
    assert_eq!(size_of::<MarginAccount>(), 272);
    assert_eq!(size_of::<LpPosition>(), 160);
}

#[test]
fn keeper_filter_offsets_are_frozen() {
    // Offsets in the account data include Anchor's 8-byte discriminator.
    assert_eq!(8 + offset_of!(MarginAccount, owner), 8);
    assert_eq!(8 + offset_of!(MarginAccount, market), 40);
    assert_eq!(8 + offset_of!(MarginAccount, balances), 72);
    assert_eq!(8 + offset_of!(LpPosition, market), 40);
    assert_eq!(8 + offset_of!(Market, insurance_fund), 8);
}
