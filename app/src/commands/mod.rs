//! The CLI's commands, one file per group: trading, liquidity, staking, keeping, listing, governance (markets),
//! exchange (the exchange, its authority and the funds' rules) and views. Every instruction of the program is
//! reachable from one of them (account creation happens inside the first deposit, LP deposit or stake).

pub mod exchange;
pub mod governance;
pub mod keeping;
pub mod liquidity;
pub mod listing;
pub mod signing;
pub mod staking;
pub mod trading;
pub mod views;

use crate::chain::Chain;
use crate::config::Resolved;
use crate::error::{Error, Result};
use crate::output::Report;
use crate::rpc::RpcChain;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use serde_json::json;

#[derive(clap::Subcommand)]
pub enum Command {
    #[command(flatten)]
    Trading(trading::Command),
    #[command(flatten)]
    Liquidity(liquidity::Command),
    #[command(flatten)]
    Staking(staking::Command),
    #[command(flatten)]
    Keeping(keeping::Command),
    #[command(flatten)]
    Listing(listing::Command),
    #[command(flatten)]
    Governance(governance::Command),
    #[command(flatten)]
    Exchange(exchange::Command),
    #[command(flatten)]
    Views(views::Command),
}

pub async fn run(command: Command, session: &mut Session) -> Result<()> {
    match command {
        Command::Trading(command) => trading::run(command, session).await,
        Command::Liquidity(command) => liquidity::run(command, session).await,
        Command::Staking(command) => staking::run(command, session).await,
        Command::Keeping(command) => keeping::run(command, session).await,
        Command::Listing(command) => listing::run(command, session).await,
        Command::Governance(command) => governance::run(command, session).await,
        Command::Exchange(command) => exchange::run(command, session).await,
        Command::Views(command) => views::run(command, session).await,
    }
}

/// What a command can do without a cluster or a keypair (the parameter table), if it is such a command.
pub fn offline(command: &Command) -> Option<Report> {
    match command {
        Command::Views(views::Command::Params { market: None }) => {
            let mut report = Report::default();
            views::parameter_table(&mut report, None);
            Some(report)
        }
        _ => None,
    }
}

/// The market a command acts on, and the user's token account of its collateral mint.
#[derive(clap::Args, Clone, Debug)]
pub struct Target {
    /// The market's address (`backstop-client::pda::market(id)`).
    #[arg(long, value_parser = key)]
    pub market: Pubkey,
    /// The user's token account of the collateral mint. Default: the keypair's associated token account.
    #[arg(long, value_parser = key)]
    pub token: Option<Pubkey>,
    /// Withdrawals: allow paying into a token account another wallet owns (refused otherwise).
    #[arg(long)]
    pub allow_other_owner: bool,
}

/// Covers bundled per transaction ahead of an exit: within the transaction size and compute limits.
const COVERS_PER_TRANSACTION: usize = 4;

/// One command's connection to the cluster and what it reports.
pub struct Session {
    pub chain: RpcChain,
    pub connection: Resolved,
    pub report: Report,
}

impl Session {
    pub fn open(connection: Resolved) -> Result<Self> {
        let path = &connection.keypair_path;
        let payer = solana_keypair::read_keypair_file(path)
            .map_err(|e| Error::Input(format!("keypair {path}: {e} (name another with -k)")))?;
        Ok(Self { chain: RpcChain::new(&connection.url, payer), connection, report: Report::default() })
    }

    /// The keypair's public key: it signs and pays.
    pub fn signer(&self) -> Pubkey {
        self.chain.keeper()
    }

    /// Sends `instructions` in one transaction signed by the keypair and records its signature.
    pub async fn send(&mut self, instructions: &[Instruction]) -> Result<()> {
        let signature = self.chain.send_returning_signature(instructions).await?;
        tracing::info!(%signature, "confirmed");
        self.report.signed(signature);
        Ok(())
    }

    /// The user's token account for `target`: the one named, or the associated token account of the market's mint.
    pub async fn token_account(&mut self, target: &Target) -> Result<Pubkey> {
        match target.token {
            Some(token) => Ok(token),
            None => {
                let mint = self.chain.market(target.market).await?.collateral_mint;
                Ok(backstop_client::pda::associated_token_account(&self.signer(), &mint))
            }
        }
    }

    /// Refuses before anything is created when the token account to pay from does not exist (a deposit without
    /// one used to create a margin account, whose rent cannot be reclaimed, and then fail).
    pub async fn require_account(&mut self, token: Pubkey) -> Result<()> {
        if self.chain.account(token).await?.is_none() {
            return Err(Error::Account(format!(
                "token account {token} does not exist: create it first (spl-token create-account <collateral mint>) \
                 or name another with --token"
            )));
        }
        Ok(())
    }

    /// Refuses to pay into a token account another wallet owns unless `target` allows it: the program accepts any
    /// token account of the mint as a destination, so a mistyped `--token` would send the money away.
    pub async fn check_destination(&mut self, target: &Target, token: Pubkey) -> Result<()> {
        let (mut data, program) = self.chain.account(token).await?.ok_or_else(|| {
            Error::Account(format!("token account {token} does not exist: create it, or name another with --token"))
        })?;
        // The program's own reader: owned by the token program, initialised, of a token account's size.
        let mut lamports = 0u64;
        let info =
            anchor_lang::prelude::AccountInfo::new(&token, false, false, &mut lamports, &mut data, &program, false);
        let owner = backstop::vault::TokenAccountView::read(&info)
            .map_err(|_| Error::Account(format!("{token} is not an SPL token account")))?
            .owner;
        if owner != self.signer() && !target.allow_other_owner {
            return Err(Error::Input(format!(
                "token account {token} belongs to {owner}, not to the keypair: add --allow-other-owner to pay there"
            )));
        }
        Ok(())
    }

    /// Covers every bankrupt account of the target's market, a few per transaction, before an exit: while a
    /// deficit awaits cover the program refuses an exit that could dodge its share of it (`DeficitAwaitingCover`),
    /// and anyone may cover. Returns how many were covered.
    pub async fn cover_pending(&mut self, target: &Target) -> Result<usize> {
        let market = self.chain.market(target.market).await?;
        if market.books.bankrupt_deficit == 0 {
            return Ok(0);
        }
        let keeper = self.chain.market_accounts(target.market).await?.keeper();
        let signer = self.signer();
        let covers: Vec<Instruction> = self
            .chain
            .margin_accounts(target.market)
            .await?
            .into_iter()
            .filter(|(_, account)| account.balances.is_bankrupt())
            .map(|(_, account)| keeper.cover_bankruptcy(signer, account.owner))
            .collect();
        for chunk in covers.chunks(COVERS_PER_TRANSACTION) {
            self.send(chunk).await?;
        }
        let line = format!("covered {} bankrupt accounts first", covers.len());
        self.report.say("covered_first", json!(covers.len()), line);
        Ok(covers.len())
    }

    /// Creates the account at `address` with `create` unless it exists.
    pub async fn ensure(&mut self, address: Pubkey, create: Instruction) -> Result<()> {
        if self.chain.account(address).await?.is_none() {
            self.send(&[create]).await?;
            self.report.say("created", json!(address.to_string()), format!("created {address}"));
        }
        Ok(())
    }
}

pub fn key(text: &str) -> std::result::Result<Pubkey, String> {
    text.parse().map_err(|_| format!("`{text}` is not a public key"))
}

/// Collateral in dollars (the quote mint's 6 decimals), exactly: `1.5` is 1 500 000 atoms.
pub fn dollars(text: &str) -> std::result::Result<u64, String> {
    match backstop_client::units::parse_amount(text, backstop_math::constants::QUOTE_DECIMALS)? {
        0 => Err("an amount must be positive".to_string()),
        atoms => Ok(atoms),
    }
}

/// Shares are whole atoms of the share supply.
pub fn shares(text: &str) -> std::result::Result<u64, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{text}` is not a whole number of shares"));
    }
    match text.parse::<u64>() {
        Ok(0) => Err("a share count must be positive".to_string()),
        Ok(count) => Ok(count),
        Err(_) => Err(format!("`{text}` is not a whole number of shares")),
    }
}
