//! The test bank and its fixtures: one exchange, one insurance fund, one SOL-PERP market on a real Pyth legacy
//! account, funded traders and LPs, and a clock and price that tests move.

use crate::builders::{self, pda, Flow, ListMarket, MarketAccounts};
use crate::fixtures::*;
use crate::pyth::{
    oracle_account, LaggingEma, LegacyPrice, OracleFeed, OracleFeedMut, PullPrice, LEGACY_SOL_USD, SOL_USD_FEED_ID,
};
use anchor_lang::prelude::{AccountInfo, Clock, Pubkey};
use anchor_lang::solana_program::entrypoint::ProgramResult;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_spl::token::spl_token;
use backstop::instructions::InitializeExchangeArgs;
use backstop::oracle::PYTH_LEGACY_PROGRAM_ID;
use backstop::state::{InsuranceFund, LpPosition, MarginAccount, Market};
use backstop_math::params::MarketParams;
use solana_account::Account;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_keypair::Keypair;
use solana_program_pack::Pack;
use solana_program_test::{processor, BanksClientError, ProgramTest, ProgramTestContext};
use solana_signer::Signer;
use solana_transaction::Transaction;

/// Anchor's `entry` takes one lifetime for the accounts slice and the accounts in it; `processor!` hands them
/// with independent ones. The slice cannot outlive its elements, so shortening the elements' lifetime to the
/// slice's is sound.
fn process(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    backstop::entry(program_id, shorten(accounts), data)
}

fn shorten<'x>(accounts: &'x [AccountInfo<'_>]) -> &'x [AccountInfo<'x>] {
    // SAFETY: see `process`; the transmute changes only a lifetime parameter.
    unsafe { core::mem::transmute(accounts) }
}

/// A wallet with SOL for fees and a token account of the collateral mint.
pub struct Actor {
    pub keypair: Keypair,
    pub token: Pubkey,
}

impl Actor {
    pub fn pubkey(&self) -> Pubkey {
        self.keypair.pubkey()
    }
}

/// What every wallet the harness makes starts with: 1 SOL, for rent of the accounts it opens.
pub const WALLET_LAMPORTS: u64 = 1_000_000_000;

pub struct Env {
    pub ctx: ProgramTestContext,
    pub governance: Keypair,
    pub guardian: Keypair,
    pub mint_authority: Keypair,
    pub mint: Pubkey,
    pub fund: Pubkey,
    pub market: Pubkey,
    pub vault: Pubkey,
    pub oracle: Pubkey,
    /// The legacy price account (the oracle unless `pull` is set).
    pub price: LegacyPrice,
    /// When set, the market's oracle is this PriceUpdateV2 account instead.
    pub pull: Option<PullPrice>,
    /// Partial updates accepted with this many signatures (0: Full only). Pull markets only.
    pub min_signatures: u8,
    /// When set, published prices carry an EMA that lags them as Pyth's does; otherwise the EMA follows the price.
    pub lagging_ema: Option<LaggingEma>,
    pub now: i64,
    nonce: u32,
    /// When `ctx.last_blockhash` was fetched: reused for up to 100 ms, so a transaction is one round trip to the bank
    /// rather than two. (The test bank's slots are 6.4 ms: a blockhash stays valid for 150 of them, about a second.)
    blockhash_fetched: Option<std::time::Instant>,
    /// Rent of a token account, read once.
    pub(crate) token_account_rent: Option<u64>,
}

impl Env {
    /// The bank with the program, a collateral mint, a Pyth oracle at $100 and the clock at T0; nothing of
    /// Backstop initialised.
    pub async fn bare() -> Self {
        Self::bare_with(None, 0).await
    }

    /// As [`Env::bare`], the oracle being `pull` when given.
    pub async fn bare_with(pull: Option<PullPrice>, min_signatures: u8) -> Self {
        let mut test = ProgramTest::new("backstop", backstop::ID, processor!(process));
        test.prefer_bpf(false);
        let oracle = Pubkey::new_unique();
        let mut price = LegacyPrice::from_fixture(LEGACY_SOL_USD);
        price.set(START_PRICE, START_CONF, T0 - TIMELOCK);
        let pull = pull.map(|mut update| {
            update.set(START_PRICE, START_CONF, T0 - TIMELOCK);
            update
        });
        let account = match &pull {
            Some(update) => update.account(),
            None => price.account(PYTH_LEGACY_PROGRAM_ID),
        };
        test.add_account(oracle, account);
        let ctx = test.start_with_context().await;
        let mut env = Self {
            ctx,
            governance: Keypair::new(),
            guardian: Keypair::new(),
            mint_authority: Keypair::new(),
            mint: Pubkey::default(),
            fund: pda::insurance_fund(0),
            market: pda::market(0),
            vault: pda::market_vault(&pda::market(0)),
            oracle,
            price,
            pull,
            min_signatures,
            lagging_ema: None,
            now: T0 - TIMELOCK,
            nonce: 0,
            blockhash_fetched: None,
            token_account_rent: None,
        };
        env.set_clock(T0 - TIMELOCK).await;
        env.mint = env.create_mint(6).await;
        env
    }

    /// Exchange, insurance fund 0 and market 0 (SOL-PERP, [`default_params`]).
    pub async fn new() -> Self {
        Self::with_params(default_params()).await
    }

    pub async fn with_params(params: MarketParams) -> Self {
        Self::listed(Self::bare().await, params).await
    }

    /// Exchange, fund 0 and market 0 on a PriceUpdateV2 account built from `fixture` (owned by `owner`).
    pub async fn pull(fixture: &[u8], owner: Pubkey, min_signatures: u8) -> Self {
        Self::pull_with_params(fixture, owner, min_signatures, default_params()).await
    }

    /// As [`Env::pull`], with these market parameters.
    pub async fn pull_with_params(fixture: &[u8], owner: Pubkey, min_signatures: u8, params: MarketParams) -> Self {
        let update = PullPrice::from_fixture(fixture, owner);
        Self::listed(Self::bare_with(Some(update), min_signatures).await, params).await
    }

    async fn listed(mut env: Self, params: MarketParams) -> Self {
        env.initialize_exchange().await;
        let payer = env.payer();
        let ix = builders::initialize_insurance_fund(env.governance.pubkey(), payer, env.mint, 0);
        let governance = env.governance.insecure_clone();
        env.send(&[ix], &[&governance]).await.expect("initialize fund");
        let listing = env.list_market(params).instructions();
        env.send(&listing, &[&governance]).await.expect("initialize market");
        // Listing is timelocked: open the market when the delay has passed, at T0.
        env.set_clock(T0).await;
        env.set_price(START_PRICE, START_CONF).await;
        env.send(&[builders::activate_market(env.market, env.payer())], &[]).await.expect("activate market");
        env
    }

    pub async fn initialize_exchange(&mut self) {
        let args = InitializeExchangeArgs {
            authority: self.governance.pubkey(),
            guardian: self.guardian.pubkey(),
            treasury: Pubkey::new_unique(),
            timelock_delay_secs: TIMELOCK,
        };
        let ix = builders::initialize_exchange(self.payer(), args);
        self.send(&[ix], &[]).await.expect("initialize exchange");
    }

    /// The listing of market 0 with this env's accounts.
    pub fn list_market(&self, params: MarketParams) -> ListMarket {
        ListMarket {
            authority: self.governance.pubkey(),
            payer: self.payer(),
            collateral_mint: self.mint,
            insurance_fund: self.fund,
            oracle: self.oracle,
            oracle_config: self.oracle_config(),
            market_id: 0,
            params,
        }
    }

    /// The oracle configuration market 0 is listed with.
    pub fn oracle_config(&self) -> backstop::state::OracleConfig {
        match &self.pull {
            Some(_) => backstop::state::OracleConfig {
                kind: backstop::state::OracleKind::PythPull as u8,
                receiver: backstop::oracle::PYTH_RECEIVER_PROGRAM_ID,
                feed_id: SOL_USD_FEED_ID,
                min_signatures: self.min_signatures,
            },
            None => backstop::state::OracleConfig {
                kind: backstop::state::OracleKind::PythLegacy as u8,
                receiver: Pubkey::default(),
                feed_id: [0; 32],
                min_signatures: 0,
            },
        }
    }

    pub fn payer(&self) -> Pubkey {
        self.ctx.payer.pubkey()
    }

    /// Sends one transaction signed by the payer and `signers`. A compute-budget instruction with a fresh value
    /// makes every transaction unique, so repeating an instruction is never deduplicated.
    pub async fn send(&mut self, instructions: &[Instruction], signers: &[&Keypair]) -> Result<(), BanksClientError> {
        let tx = self.transaction(instructions, signers).await;
        self.ctx.banks_client.process_transaction(tx).await
    }

    pub async fn transaction(&mut self, instructions: &[Instruction], signers: &[&Keypair]) -> Transaction {
        self.nonce += 1;
        let mut all = vec![ComputeBudgetInstruction::set_compute_unit_limit(1_400_000 - self.nonce)];
        all.extend_from_slice(instructions);
        let mut keys: Vec<&Keypair> = vec![&self.ctx.payer];
        keys.extend_from_slice(signers);
        if self.blockhash_fetched.is_none_or(|at| at.elapsed() > std::time::Duration::from_millis(100)) {
            self.ctx.last_blockhash = self.ctx.banks_client.get_latest_blockhash().await.expect("blockhash");
            self.blockhash_fetched = Some(std::time::Instant::now());
        }
        Transaction::new_signed_with_payer(&all, Some(&self.ctx.payer.pubkey()), &keys, self.ctx.last_blockhash)
    }

    pub async fn set_clock(&mut self, unix_timestamp: i64) {
        let mut clock: Clock = self.ctx.banks_client.get_sysvar().await.expect("clock");
        clock.unix_timestamp = unix_timestamp;
        self.ctx.set_sysvar(&clock);
        self.now = unix_timestamp;
    }

    /// Moves the clock forward without a new oracle price.
    pub async fn advance(&mut self, seconds: i64) {
        self.set_clock(self.now + seconds).await;
    }

    /// Publishes a new oracle price (mantissa at expo -8) stamped with the current clock.
    pub async fn set_price(&mut self, price: i64, conf: u64) {
        let now = self.now;
        self.oracle_feed_mut().publish(price, conf, now);
        self.write_oracle().await;
    }

    /// The oracle as this bank publishes it, detached from the bank (the crash laboratory's core engine goes on
    /// publishing from it in memory, with the same bytes).
    pub fn oracle_feed(&self) -> OracleFeed {
        OracleFeed { legacy: self.price.clone(), pull: self.pull.clone(), lagging_ema: self.lagging_ema }
    }

    fn oracle_feed_mut(&mut self) -> OracleFeedMut<'_> {
        OracleFeedMut { legacy: &mut self.price, pull: &mut self.pull, lagging_ema: &mut self.lagging_ema }
    }

    /// From now on, published prices carry an EMA that lags them as Pyth's does, starting from the current price.
    pub fn lag_ema(&mut self) {
        let price = self.pull.as_ref().map_or(self.price.price(), PullPrice::price);
        self.lagging_ema = Some(LaggingEma::new(price, self.now));
    }

    /// Writes `feed`'s account at `address`: a further market's oracle, published beside market 0's.
    pub fn write_feed(&mut self, address: &Pubkey, feed: &OracleFeed) {
        self.ctx.set_account(address, &feed.account().into());
    }

    /// Writes the oracle account as `self.price` (or `self.pull`) now holds it.
    pub async fn write_oracle(&mut self) {
        let account = oracle_account(&self.price, &self.pull);
        self.ctx.set_account(&self.oracle, &account.into());
    }

    /// Publish time of the current oracle account.
    pub fn oracle_publish_time(&self) -> i64 {
        match &self.pull {
            Some(update) => update.publish_time(),
            None => self.price.publish_time(),
        }
    }

    pub async fn create_mint(&mut self, decimals: u8) -> Pubkey {
        let mint = Keypair::new();
        let rent = self.ctx.banks_client.get_rent().await.expect("rent");
        let create = solana_system_interface::instruction::create_account(
            &self.payer(),
            &mint.pubkey(),
            rent.minimum_balance(spl_token::state::Mint::LEN),
            spl_token::state::Mint::LEN as u64,
            &spl_token::ID,
        );
        let init = spl_token::instruction::initialize_mint2(
            &spl_token::ID,
            &mint.pubkey(),
            &self.mint_authority.pubkey(),
            None,
            decimals,
        )
        .expect("mint ix");
        self.send(&[create, init], &[&mint]).await.expect("create mint");
        mint.pubkey()
    }

    pub async fn create_token_account(&mut self, mint: Pubkey, owner: Pubkey) -> Pubkey {
        let account = Keypair::new();
        let rent = self.ctx.banks_client.get_rent().await.expect("rent");
        let create = solana_system_interface::instruction::create_account(
            &self.payer(),
            &account.pubkey(),
            rent.minimum_balance(spl_token::state::Account::LEN),
            spl_token::state::Account::LEN as u64,
            &spl_token::ID,
        );
        let init = spl_token::instruction::initialize_account3(&spl_token::ID, &account.pubkey(), &mint, &owner)
            .expect("account ix");
        self.send(&[create, init], &[&account]).await.expect("create token account");
        account.pubkey()
    }

    pub async fn mint_to(&mut self, token: Pubkey, amount: u64) {
        let ix = spl_token::instruction::mint_to(
            &spl_token::ID,
            &self.mint,
            &token,
            &self.mint_authority.pubkey(),
            &[],
            amount,
        )
        .expect("mint_to ix");
        let authority = self.mint_authority.insecure_clone();
        self.send(&[ix], &[&authority]).await.expect("mint to");
    }

    /// A wallet with 1 SOL and `tokens` atoms of collateral.
    pub async fn actor(&mut self, tokens: u64) -> Actor {
        let keypair = Keypair::new();
        let fund = solana_system_interface::instruction::transfer(&self.payer(), &keypair.pubkey(), WALLET_LAMPORTS);
        self.send(&[fund], &[]).await.expect("fund wallet");
        let token = self.create_token_account(self.mint, keypair.pubkey()).await;
        if tokens > 0 {
            self.mint_to(token, tokens).await;
        }
        Actor { keypair, token }
    }

    /// An actor with a margin account holding `collateral` atoms (and nothing left in the wallet).
    pub async fn trader(&mut self, collateral: u64) -> Actor {
        let actor = self.actor(collateral).await;
        let create = builders::create_margin_account(self.market, actor.pubkey());
        self.send(&[create], &[&actor.keypair]).await.expect("create margin account");
        if collateral > 0 {
            let deposit = self.flow(&actor).deposit(collateral);
            self.send(&[deposit], &[&actor.keypair]).await.expect("deposit");
        }
        actor
    }

    /// An actor with an LP position holding `amount` atoms of the pool.
    pub async fn lp(&mut self, amount: u64) -> Actor {
        let actor = self.actor(amount).await;
        let create = builders::create_lp_position(self.market, actor.pubkey());
        self.send(&[create], &[&actor.keypair]).await.expect("create lp position");
        if amount > 0 {
            let deposit = self.lp_flow(&actor).lp_deposit(amount);
            self.send(&[deposit], &[&actor.keypair]).await.expect("lp deposit");
        }
        actor
    }

    /// Market 0, its vault, mint, oracle and fund: every flow's accounts follow from these.
    pub fn accounts(&self) -> MarketAccounts {
        MarketAccounts { vault: self.vault, ..MarketAccounts::new(self.market, self.fund, self.mint, self.oracle) }
    }

    /// The accounts of `actor`'s margin-account flows in market 0.
    pub fn flow(&self, actor: &Actor) -> Flow {
        self.accounts().flow(actor.pubkey(), actor.token)
    }

    /// The accounts of `actor`'s LP flows in market 0.
    pub fn lp_flow(&self, actor: &Actor) -> Flow {
        self.accounts().lp_flow(actor.pubkey(), actor.token)
    }

    /// Sends `instruction` signed by `actor`.
    pub async fn act(&mut self, actor: &Actor, instruction: Instruction) -> Result<(), BanksClientError> {
        let keypair = actor.keypair.insecure_clone();
        self.send(&[instruction], &[&keypair]).await
    }

    pub async fn account(&mut self, address: Pubkey) -> Option<Account> {
        self.ctx.banks_client.get_account(address).await.expect("get account")
    }

    /// A zero-copy program account, read after its 8-byte discriminator.
    pub async fn load<T: bytemuck::Pod>(&mut self, address: Pubkey) -> T {
        let account = self.account(address).await.expect("account exists");
        bytemuck::pod_read_unaligned(&account.data[8..8 + core::mem::size_of::<T>()])
    }

    pub async fn market_state(&mut self) -> Market {
        self.load(self.market).await
    }

    pub async fn fund_state(&mut self) -> InsuranceFund {
        self.load(self.fund).await
    }

    pub async fn exchange_state(&mut self) -> backstop::state::Exchange {
        self.load(pda::exchange()).await
    }

    pub async fn margin(&mut self, actor: &Actor) -> MarginAccount {
        self.load(pda::margin_account(&self.market, &actor.pubkey())).await
    }

    pub async fn lp_position(&mut self, actor: &Actor) -> LpPosition {
        self.load(pda::lp_position(&self.market, &actor.pubkey())).await
    }

    pub async fn token_balance(&mut self, token: Pubkey) -> u64 {
        let account = self.account(token).await.expect("token account");
        spl_token::state::Account::unpack(&account.data).expect("token layout").amount
    }

    /// Every byte and lamport of these accounts, to prove a rejected transaction changed nothing.
    pub async fn snapshot(&mut self, addresses: &[Pubkey]) -> Vec<Option<Account>> {
        let mut accounts = Vec::with_capacity(addresses.len());
        for address in addresses {
            accounts.push(self.account(*address).await);
        }
        accounts
    }

    /// The accounts an actor's failed flow could have touched.
    pub fn touched_by(&self, actor: &Actor) -> Vec<Pubkey> {
        self.accounts().touched_by(actor.pubkey(), actor.token)
    }

    /// Conservation in tokens: the market vault holds exactly what the books owe from it.
    pub async fn assert_vault_matches_books(&mut self) {
        let market = self.market_state().await;
        let vault = self.token_balance(self.vault).await;
        assert_eq!(vault, market.books.vault_liability().expect("liability"), "vault vs books: {:?}", market.books);
    }
}
