//! What can go wrong off-chain, by kind. The kind decides the exit code and whether the keeper tries again: a
//! dropped connection or an expired blockhash is worth a retry, a program refusal is final.

use anchor_lang::solana_program::instruction::Instruction;
use backstop_client::read::ReadError;
use solana_instruction_error::InstructionError;
use solana_transaction_error::TransactionError;
use std::fmt;

pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An option, a file or a key the user gave is wrong.
    Input(String),
    /// The cluster could not be reached, or answered out of protocol.
    Transport(String),
    /// Backstop refused: its error by name and code (the one list, `backstop_math::error`).
    Program { code: u32, name: String, message: String },
    /// The transaction failed outside Backstop's own checks: fees, signatures, an expired blockhash, a framework
    /// account constraint, another program. `transient`: worth sending again with a fresh blockhash.
    Transaction { reason: String, transient: bool },
    /// An account is missing or is not what it should be.
    Account(String),
    /// The transaction was sent but its fate is unknown (the connection dropped, or it was not confirmed in
    /// time): it may still land. Check the signature before sending anything again.
    Unconfirmed { signature: String, reason: String },
}

impl Error {
    /// The process exit code for this kind (0 is success; 1 is left to the runtime).
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Input(_) => 2,
            Self::Transport(_) => 3,
            Self::Program { .. } => 4,
            Self::Transaction { .. } => 5,
            Self::Account(_) => 6,
            Self::Unconfirmed { .. } => 7,
        }
    }

    /// Whether sending the same instructions again may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transport(_) | Self::Transaction { transient: true, .. })
    }

    /// A short, stable name for the kind (logs and `--output json`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Input(_) => "input",
            Self::Transport(_) => "transport",
            Self::Program { .. } => "program",
            Self::Transaction { .. } => "transaction",
            Self::Account(_) => "account",
            Self::Unconfirmed { .. } => "unconfirmed",
        }
    }

    /// A failed transaction of `instructions`, by what failed. A custom code is named from Backstop's list only when
    /// Backstop's own instruction raised it (another Anchor program, Pyth's receiver say, numbers its errors from
    /// 6000 too); `logs` name framework errors outside the list.
    pub fn from_transaction_error(error: &TransactionError, logs: &[String], instructions: &[Instruction]) -> Self {
        match error {
            TransactionError::InstructionError(index, InstructionError::Custom(code)) => {
                match instructions.get(usize::from(*index)).map(|ix| ix.program_id) {
                    Some(program) if program != backstop::ID => Self::Transaction {
                        reason: format!("custom error {code} from program {program}"),
                        transient: false,
                    },
                    _ => Self::from_custom(*code, logs),
                }
            }
            TransactionError::BlockhashNotFound => {
                Self::Transaction { reason: "blockhash expired".to_string(), transient: true }
            }
            other => Self::Transaction { reason: other.to_string(), transient: false },
        }
    }

    /// A custom program code: Backstop's own by name, otherwise (an Anchor constraint, the token program) as the
    /// program logged it.
    pub fn from_custom(code: u32, logs: &[String]) -> Self {
        match backstop_math::error::by_code(code) {
            Some(info) => Self::Program { code, name: info.name.to_string(), message: info.message.to_string() },
            None => {
                let logged = logs.iter().find_map(|line| anchor_error_in(line)).unwrap_or_default();
                Self::Transaction { reason: format!("custom program error {code} {logged}"), transient: false }
            }
        }
    }
}

/// "Error Code: X. Error Number: N. Error Message: M." as Anchor logs a framework refusal.
fn anchor_error_in(line: &str) -> Option<String> {
    let start = line.find("Error Code: ")?;
    Some(line[start..].trim_end().to_string())
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Input(reason) => write!(f, "{reason}"),
            Self::Transport(reason) => write!(f, "cannot reach the cluster: {reason}"),
            Self::Program { code, name, message } => write!(f, "{name} ({code}): {message}"),
            Self::Transaction { reason, .. } => write!(f, "transaction failed: {reason}"),
            Self::Account(reason) => write!(f, "{reason}"),
            Self::Unconfirmed { signature, reason } => write!(
                f,
                "sent but not confirmed ({reason}): it may still land; check {signature} before sending again"
            ),
        }
    }
}

impl std::error::Error for Error {}

impl From<ReadError> for Error {
    fn from(error: ReadError) -> Self {
        Self::Account(error.to_string())
    }
}

impl From<backstop_client::oracle::OracleError> for Error {
    fn from(error: backstop_client::oracle::OracleError) -> Self {
        match error {
            backstop_client::oracle::OracleError::Unreadable { .. } => Self::Account(error.to_string()),
            backstop_client::oracle::OracleError::Refused(refusal) => refusal.into(),
        }
    }
}

impl From<backstop_math::MathError> for Error {
    /// A core refusal read off-chain is the error the program would return.
    fn from(error: backstop_math::MathError) -> Self {
        let info = error.info();
        Self::Program { code: info.code, name: info.name.to_string(), message: info.message.to_string() }
    }
}

impl From<Error> for String {
    fn from(error: Error) -> Self {
        error.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_custom_code_is_named_from_the_one_list() {
        let refused = Error::from_transaction_error(
            &TransactionError::InstructionError(0, InstructionError::Custom(6000)),
            &[],
            &[],
        );
        assert_eq!(
            refused,
            Error::Program { code: 6000, name: "Overflow".into(), message: "Arithmetic overflow".into() }
        );
        assert_eq!(refused.exit_code(), 4);
        assert!(!refused.is_transient());
    }

    #[test]
    fn another_programs_code_is_not_named_as_backstops() {
        let pyth = anchor_lang::prelude::Pubkey::new_unique();
        let update = Instruction { program_id: pyth, accounts: vec![], data: vec![] };
        let refused = Error::from_transaction_error(
            &TransactionError::InstructionError(0, InstructionError::Custom(6000)),
            &[],
            &[update],
        );
        assert_eq!(refused.exit_code(), 5, "{refused}");
        assert!(refused.to_string().contains(&pyth.to_string()));
    }

    #[test]
    fn a_framework_code_keeps_what_the_program_logged() {
        let logs = ["Program log: AnchorError caused by account: market. Error Code: ConstraintSeeds. Error \
                     Number: 2006. Error Message: A seeds constraint was violated."
            .to_string()];
        let refused = Error::from_transaction_error(
            &TransactionError::InstructionError(0, InstructionError::Custom(2006)),
            &logs,
            &[],
        );
        assert!(refused.to_string().contains("ConstraintSeeds"), "{refused}");
        assert_eq!(refused.exit_code(), 5);
    }

    #[test]
    fn an_expired_blockhash_is_worth_a_retry_and_a_transport_failure_too() {
        assert!(Error::from_transaction_error(&TransactionError::BlockhashNotFound, &[], &[]).is_transient());
        assert!(Error::Transport("connection refused".into()).is_transient());
        assert!(!Error::from_transaction_error(&TransactionError::InsufficientFundsForFee, &[], &[]).is_transient());
    }
}
