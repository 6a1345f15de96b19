//! How a governance or guardian command is authorised: signed by the keypair when it is the authority, or, given
//! `--authority <vault> --dump-transaction-message`, printed unsigned for a multisig proposal (`crate::multisig`).

use super::{key, Session};
use crate::error::{Error, Result};
use crate::multisig;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use serde_json::json;

#[derive(clap::Args, Clone, Debug)]
pub struct Signing {
    /// The authority the instruction names (governance, or the guardian for `set-market-status`): in production
    /// a multisig vault. Default: the keypair.
    #[arg(long, value_parser = key)]
    pub authority: Option<Pubkey>,
    /// Print the unsigned transaction message (base64 and base58, the authority as fee payer) for a multisig
    /// proposal instead of sending it.
    #[arg(long)]
    pub dump_transaction_message: bool,
}

impl Signing {
    pub fn authority(&self, session: &Session) -> Pubkey {
        self.authority.unwrap_or_else(|| session.signer())
    }

    /// Sends `instructions`, or reports them as a multisig proposal.
    pub async fn submit(&self, session: &mut Session, instructions: &[Instruction]) -> Result<()> {
        let authority = self.authority(session);
        if self.dump_transaction_message {
            let blockhash = session.chain.client.get_latest_blockhash().await.map_err(crate::rpc::classify)?;
            let message = multisig::proposal_message(instructions, &authority, blockhash);
            let (base64, base58) = multisig::encode(&message);
            let described = multisig::describe(&message);
            let fields = json!({ "base64": base64, "base58": base58, "summary": described });
            session.report.say("message", fields, format!("{described}\nbase64: {base64}\nbase58: {base58}"));
            return Ok(());
        }
        if authority != session.signer() {
            return Err(Error::Input(format!(
                "the keypair ({}) is not the authority {authority}: add --dump-transaction-message to propose it \
                 through the multisig",
                session.signer()
            )));
        }
        session.send(instructions).await
    }
}
