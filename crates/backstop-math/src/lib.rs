//! Backstop's functional core: every number the program decides on (oracle normalisation, execution and margin
//! prices, position PnL, margin health, fees, LP share pricing, parameter bounds) is computed here, over plain
//! integers, with no Solana types. The program, the keeper and the simulator share this one copy.
//!
//! Conventions:
//! - Fixed point only; every intermediate product is taken in `i128`/`u128` and every division names its rounding.
//! - Rounding always goes against the party the result is paid to: the trader, the LP, the staker. The protocol's
//!   buffers may gain an atom, never lose one.
//! - Precisions are in [`constants`]; every function documents the precision of what it takes and returns.

#![no_std]
#![deny(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_possible_wrap)]

/// Defines a `#[repr(C)]` Pod struct and, with feature `idl-build`, its description in the program's IDL (field
/// names, types and doc comments read from this one definition; [`idl`]).
#[macro_export]
macro_rules! idl_struct {
    (
        $(#[$($attr:tt)*])*
        $vis:vis struct $name:ident {
            $( $(#[$($field_attr:tt)*])* $field_vis:vis $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$($attr)*])*
        $vis struct $name {
            $( $(#[$($field_attr)*])* $field_vis $field : $ty ),*
        }

        // The IDL says Bytemuck with C layout: both are checked here, not assumed.
        const _: fn() = || {
            fn pod<T: ::bytemuck::Pod>() {}
            pod::<$name>();
        };

        #[cfg(feature = "idl-build")]
        impl $crate::idl::IdlBuild for $name {
            fn create_type() -> Option<$crate::idl::IdlTypeDef> {
                Some($crate::idl::pod_struct(
                    <Self as $crate::idl::IdlBuild>::get_full_path(),
                    &[$($crate::doc_line!($($attr)*)),*],
                    [$(
                        $crate::idl::field::<$ty>(stringify!($field), &[$($crate::doc_line!($($field_attr)*)),*])
                    ),*].into(),
                ))
            }

            fn insert_types(types: &mut $crate::idl::BTreeMap<$crate::idl::String, $crate::idl::IdlTypeDef>) {
                $( <$ty as $crate::idl::IdlField>::insert_definitions(types); )*
            }

            fn get_full_path() -> $crate::idl::String {
                $crate::idl::full_path(module_path!(), stringify!($name))
            }
        }

        #[cfg(feature = "idl-build")]
        impl $crate::idl::IdlField for $name {
            fn idl_type() -> $crate::idl::IdlType {
                $crate::idl::defined::<Self>()
            }

            fn insert_definitions(types: &mut $crate::idl::BTreeMap<$crate::idl::String, $crate::idl::IdlTypeDef>) {
                $crate::idl::insert_defined::<Self>(types);
            }
        }
    };
}

/// An attribute's doc line, if it is one (for [`idl_struct!`]).
#[doc(hidden)]
#[macro_export]
macro_rules! doc_line {
    (doc = $line:literal) => {
        Some($line)
    };
    ($($other:tt)*) => {
        None
    };
}

pub mod assets;
pub mod book;
pub mod breaker;
pub mod constants;
pub mod controls;
pub mod dynamic;
pub mod error;
pub mod fees;
pub mod fund;
pub mod funding;
pub mod governance;
#[cfg(feature = "idl-build")]
pub mod idl;
pub mod ledger;
pub mod lp;
pub mod margin;
pub mod oracle;
pub mod oracle_view;
pub mod params;
pub mod position;
pub mod price;
pub mod safe_math;
pub mod staking;
pub mod timelock;
pub mod waterfall;

pub use error::{MathError, MathResult};
