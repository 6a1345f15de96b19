//! Governance through a multisig. In production the exchange's authority is a multisig vault (a Squads vault PDA),
//! which signs Backstop instructions through CPI once its members approve. A governance or guardian command given
//! `--authority <vault> --dump-transaction-message` builds its instructions with the vault as the signing
//! authority and prints the unsigned message (the vault as fee payer, like the Solana CLI's
//! `--dump-transaction-message`) for the members to propose, instead of sending anything.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use base64::Engine;
use solana_transaction::{Hash, Message};

/// The unsigned message of `instructions`, paid for and signed by `authority`, at `blockhash`.
pub fn proposal_message(instructions: &[Instruction], authority: &Pubkey, blockhash: Hash) -> Message {
    Message::new_with_blockhash(instructions, Some(authority), &blockhash)
}

/// The message's wire bytes, as base64 and base58 (what multisig front-ends and `solana` tools accept).
pub fn encode(message: &Message) -> (String, String) {
    let bytes = message.serialize();
    (base64::engine::general_purpose::STANDARD.encode(&bytes), bs58::encode(&bytes).into_string())
}

/// What a dumped message asks for, for the operator to check before proposing it: its signers and programs.
pub fn describe(message: &Message) -> String {
    let signers = message.account_keys.iter().take(usize::from(message.header.num_required_signatures));
    let programs: Vec<String> = message
        .instructions
        .iter()
        .filter_map(|ix| message.account_keys.get(usize::from(ix.program_id_index)))
        .map(ToString::to_string)
        .collect();
    format!(
        "signers: {}\nprograms: {}",
        signers.map(ToString::to_string).collect::<Vec<_>>().join(", "),
        programs.join(", ")
    )
}
