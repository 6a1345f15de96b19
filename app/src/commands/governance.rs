//! Governance and guardian commands. Each can sign with the keypair (when it is the authority) or, given
//! `--authority <vault> --dump-transaction-message`, print the unsigned message for a multisig proposal.

use crate::chain::Chain;
use crate::cli::{readable, set_param};
use crate::multisig;
use crate::rpc::RpcChain;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use backstop::state::MarketStatus;
use backstop_client::governance as gov;
use backstop_client::read::read;

/// How a governance or guardian command is authorised.
#[derive(clap::Args, Clone, Debug)]
pub struct Signing {
    /// The authority the instruction names (governance, or the guardian for `set-market-status`): in production
    /// a multisig vault. Default: the keypair.
    #[arg(long, value_parser = parse_key)]
    pub authority: Option<Pubkey>,
    /// Print the unsigned transaction message (base64 and base58, the authority as fee payer) for a multisig
    /// proposal instead of sending it.
    #[arg(long)]
    pub dump_transaction_message: bool,
}

fn parse_key(text: &str) -> Result<Pubkey, String> {
    text.parse().map_err(|_| format!("`{text}` is not a public key"))
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Active,
    ReduceOnly,
    Paused,
}

impl Signing {
    fn authority(&self, chain: &RpcChain) -> Pubkey {
        self.authority.unwrap_or_else(|| chain.keeper())
    }

    /// Sends `instructions`, or prints them as a multisig proposal.
    async fn submit(&self, chain: &mut RpcChain, instructions: &[Instruction]) -> Result<(), String> {
        let authority = self.authority(chain);
        if self.dump_transaction_message {
            let blockhash = chain.client.get_latest_blockhash().await.map_err(|e| format!("rpc: {e}"))?;
            let message = multisig::proposal_message(instructions, &authority, blockhash);
            let (base64, base58) = multisig::encode(&message);
            println!("{}\nbase64: {base64}\nbase58: {base58}", multisig::describe(&message));
            return Ok(());
        }
        if authority != chain.keeper() {
            return Err(format!(
                "the keypair ({}) is not the authority {authority}: add --dump-transaction-message to propose it \
                 through the multisig",
                chain.keeper()
            ));
        }
        let signature = chain.send_returning_signature(instructions).await.map_err(readable)?;
        println!("signature: {signature}");
        Ok(())
    }
}

/// `propose-params`: the market's current parameters with `--set name=value` applied.
pub async fn propose_params(
    chain: &mut RpcChain,
    signing: &Signing,
    market: Pubkey,
    set: &[(String, u64)],
) -> Result<(), String> {
    let mut params = chain.market(market).await?.params;
    for (name, value) in set {
        set_param(&mut params, name, *value)?;
    }
    params.validate().map_err(|e| format!("out of bounds: {e:?}"))?;
    let authority = signing.authority(chain);
    signing.submit(chain, &[gov::update_market_params(authority, market, params)]).await
}

/// `apply-params`: anyone, once the queued parameters' timelock has passed.
pub async fn apply_params(chain: &mut RpcChain, market: Pubkey) -> Result<(), String> {
    let caller = chain.keeper();
    let signature =
        chain.send_returning_signature(&[gov::apply_market_params(market, caller)]).await.map_err(readable)?;
    println!("signature: {signature}");
    Ok(())
}

/// `cancel-market-change`: governance drops the queued parameter and oracle changes.
pub async fn cancel_market_change(chain: &mut RpcChain, signing: &Signing, market: Pubkey) -> Result<(), String> {
    let authority = signing.authority(chain);
    signing.submit(chain, &[gov::cancel_market_change(authority, market)]).await
}

/// `set-market-status`: the guardian (or governance) restricts a market at once; only governance lifts.
pub async fn set_market_status(
    chain: &mut RpcChain,
    signing: &Signing,
    market: Pubkey,
    status: Status,
) -> Result<(), String> {
    let authority = signing.authority(chain);
    let status = match status {
        Status::Active => MarketStatus::Active,
        Status::ReduceOnly => MarketStatus::ReduceOnly,
        Status::Paused => MarketStatus::Paused,
    } as u8;
    signing.submit(chain, &[gov::set_market_status(authority, market, status)]).await
}

/// `pending`: every queued change of the exchange and of `market` (and its fund), with when it may apply.
pub async fn pending(chain: &mut RpcChain, market: Pubkey) -> Result<(), String> {
    let now = chain.now().await?;
    let (data, owner) = chain.account(backstop_client::pda::exchange()).await?.ok_or("exchange not found")?;
    let exchange: backstop::state::Exchange = read(&data, &owner).map_err(|e| format!("exchange: {e}"))?;
    let state = chain.market(market).await?;
    let fund = chain.fund(state.insurance_fund).await?;
    let when = |eta: i64| {
        if eta == 0 {
            "nothing queued".to_string()
        } else if eta <= now {
            format!("due since {eta} (anyone may apply)")
        } else {
            format!("applies from {eta} (in {} s)", eta - now)
        }
    };
    println!("exchange change (guardian, treasury, delay, receiver): {}", when(exchange.pending_change.eta));
    println!("market parameters: {}", when(state.params_change.eta));
    if state.params_change.is_queued() {
        for rule in backstop_math::governance::RULES {
            let (now_value, queued) = ((rule.read)(&state.params), (rule.read)(&state.pending_params));
            if now_value != queued {
                println!("  {}: {now_value} -> {queued}", rule.name);
            }
        }
    }
    println!("market oracle: {}", when(state.oracle_change.eta));
    if state.oracle_change.is_queued() {
        println!("  {} -> {}", state.oracle, state.pending_oracle);
    }
    println!("fund rules: {}", when(fund.params_change.eta));
    Ok(())
}
