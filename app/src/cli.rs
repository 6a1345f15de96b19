//! Client commands against an RPC node: each builds one Backstop instruction with the shared builders and sends
//! it signed by the keypair.

use crate::chain::Chain;
use crate::rpc::RpcChain;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use backstop::state::{MarginAccount, StakePosition};
use backstop_client::read::read;
use backstop_client::{self as builders, pda, Flow, Staking};
use backstop_math::governance::RULES;
use backstop_math::params::MarketParams;

/// Everything a user command needs to know about the market and the user's token account.
pub struct Context {
    pub chain: RpcChain,
    pub market: Pubkey,
    pub token: Pubkey,
}

impl Context {
    pub async fn margin_flow(&mut self) -> Result<Flow, String> {
        let owner = self.chain.keeper();
        Ok(self.chain.market_accounts(self.market).await?.flow(owner, self.token))
    }

    pub async fn lp_flow(&mut self) -> Result<Flow, String> {
        let owner = self.chain.keeper();
        Ok(self.chain.market_accounts(self.market).await?.lp_flow(owner, self.token))
    }

    /// The staking accounts of the user in the fund that backs this market.
    pub async fn staking(&mut self) -> Result<Staking, String> {
        let owner = self.chain.keeper();
        Ok(self.chain.market_accounts(self.market).await?.staking(owner, self.token))
    }

    /// Sends `instruction` signed by the keypair and prints its signature.
    pub async fn send(&mut self, instruction: Instruction) -> Result<(), String> {
        let signature = self.chain.send_returning_signature(&[instruction]).await.map_err(readable)?;
        println!("signature: {signature}");
        Ok(())
    }

    /// Sends `instruction` after a `cover_bankruptcy` for every bankrupt account of the market, in one
    /// transaction. While a deficit awaits cover the program refuses a withdrawal that could dodge its share of it
    /// (`DeficitAwaitingCover`); anyone may cover, so the CLI assesses the loss first.
    pub async fn send_after_covers(&mut self, instruction: Instruction) -> Result<(), String> {
        let market = self.chain.market(self.market).await?;
        let mut instructions = Vec::new();
        if market.books.bankrupt_deficit > 0 {
            let keeper = self.chain.market_accounts(self.market).await?.keeper();
            let signer = self.chain.keeper();
            for (_, account) in self.chain.margin_accounts(self.market).await? {
                if account.balances.is_bankrupt() {
                    instructions.push(keeper.cover_bankruptcy(signer, account.owner));
                }
            }
        }
        instructions.push(instruction);
        let signature = self.chain.send_returning_signature(&instructions).await.map_err(readable)?;
        println!("signature: {signature}");
        Ok(())
    }

    /// Refuses before anything is created when the token account to pay from does not exist (issue 19: a deposit
    /// without one created a margin account, whose rent cannot be reclaimed, and then failed).
    pub async fn require_token_account(&mut self) -> Result<(), String> {
        if self.chain.account(self.token).await?.is_none() {
            return Err(format!(
                "token account {} does not exist: create it first (spl-token create-account <collateral mint>) or \
                 name another with --token",
                self.token
            ));
        }
        Ok(())
    }

    /// Creates the margin account if it does not exist yet.
    pub async fn ensure_margin_account(&mut self) -> Result<(), String> {
        let owner = self.chain.keeper();
        let address = pda::margin_account(&self.market, &owner);
        if self.chain.account(address).await?.is_none() {
            self.send(builders::create_margin_account(self.market, owner)).await?;
        }
        Ok(())
    }

    pub async fn show(&mut self) -> Result<String, String> {
        let owner = self.chain.keeper();
        let market = self.chain.market(self.market).await?;
        let mut out = String::new();
        if let Some((data, account_owner)) = self.chain.account(pda::margin_account(&self.market, &owner)).await? {
            let account: MarginAccount = read(&data, &account_owner).map_err(|e| e.to_string())?;
            let b = account.balances;
            out.push_str(&format!(
                "margin account: collateral {} position {} entry {} unsettled {}\n",
                b.collateral, b.position.base, b.position.entry_notional, b.unsettled_pnl
            ));
            if let Ok(price) = self.chain.oracle_price(&market).await {
                if let Ok(health) = b.health(&price, &market.params) {
                    out.push_str(&format!(
                        "health: maintenance equity {} / requirement {}; initial equity {} / requirement {}\n",
                        health.maintenance_equity,
                        health.maintenance_requirement,
                        health.initial_equity,
                        health.initial_requirement
                    ));
                }
            }
        }
        let fund = market.insurance_fund;
        if let Some((data, account_owner)) = self.chain.account(pda::stake_position(&fund, &owner)).await? {
            let position: StakePosition = read(&data, &account_owner).map_err(|e| e.to_string())?;
            out.push_str(&format!(
                "stake position: shares {} locked {} (value at request {})\n",
                position.book.shares, position.book.locked_shares, position.book.request_value
            ));
        }
        Ok(out)
    }
}

/// Turns a failed transaction into the program's own words: Anchor logs "Error Code: <name>. ... Error Message:
/// <message>." with every rejection; the RPC node returns those logs with the failed simulation.
pub fn readable(error: String) -> String {
    let field = |key: &str| {
        error.find(key).map(|start| {
            let rest = &error[start + key.len()..];
            rest.split(['.', '"', '\\']).next().unwrap_or("").trim().to_string()
        })
    };
    match (field("Error Code: "), field("Error Message: ")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        _ => error,
    }
}

/// Sets one market parameter by its name: the names, and how each is read and written, are
/// `backstop_math::governance::RULES`, the one table of parameters.
pub fn set_param(params: &mut MarketParams, name: &str, value: u64) -> Result<(), String> {
    let rule = RULES.iter().find(|rule| rule.name == name).ok_or_else(|| format!("unknown parameter `{name}`"))?;
    (rule.write)(params, value);
    if (rule.read)(params) != value {
        return Err(format!("{name}: {value} out of range"));
    }
    Ok(())
}
