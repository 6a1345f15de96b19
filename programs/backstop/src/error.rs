//! Every way Backstop refuses, one code each: generated from the one list, `backstop_math::backstop_errors!`
//! (6000 + position: the order is ABI, append only).

use anchor_lang::prelude::*;
use backstop_math::MathError;

// The program's errors are the whole list, in its order (codes are positions: append only, in the list).
macro_rules! define_program_errors {
    ($( $(#[doc = $doc:tt])* $kind:ident $name:ident = $msg:tt; )*) => {
        #[error_code]
        pub enum BackstopError { $( $(#[doc = $doc])* #[msg($msg)] $name, )* }

        impl BackstopError {
            /// Every error, by position (code − 6000).
            pub const ALL: &'static [BackstopError] = &[$(BackstopError::$name),*];
        }
    };
}

backstop_math::backstop_errors!(define_program_errors);

impl From<MathError> for BackstopError {
    /// Same list, same position: a core error becomes the program error of the same name and code.
    fn from(error: MathError) -> Self {
        let position = error.code().saturating_sub(backstop_math::error::ERROR_CODE_OFFSET);
        usize::try_from(position).ok().and_then(|i| Self::ALL.get(i)).copied().unwrap_or(Self::Overflow)
    }
}

/// Turns a functional-core result into a program result, logging where the refusal surfaced.
pub trait OrReject<T> {
    fn or_reject(self) -> Result<T>;
}

impl<T> OrReject<T> for core::result::Result<T, MathError> {
    #[track_caller]
    fn or_reject(self) -> Result<T> {
        let location = core::panic::Location::caller();
        self.map_err(|error| {
            msg!("rejected: {:?} at {}:{}", error, location.file(), location.line());
            BackstopError::from(error).into()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use backstop_math::error::ERRORS;

    /// The program's errors are the list, entry for entry: code, name and the message Anchor logs (its `#[msg]`
    /// takes a literal's source text, so this is where a message mangled on its way through the macro shows).
    #[test]
    fn the_program_errors_are_the_list() {
        assert_eq!(BackstopError::ALL.len(), ERRORS.len());
        for (error, info) in BackstopError::ALL.iter().zip(ERRORS) {
            assert_eq!(u32::from(*error), info.code, "{}", info.name);
            assert_eq!(error.name(), info.name);
            assert_eq!(error.to_string(), info.message, "{}", info.name);
        }
    }

    #[test]
    fn a_core_error_becomes_its_namesake() {
        for error in [MathError::Overflow, MathError::OracleDivergedFromEma, MathError::TimelockNotElapsed] {
            let program = BackstopError::from(error);
            assert_eq!(program.name(), format!("{error:?}"));
            assert_eq!(u32::from(program), error.code());
        }
    }
}
