//! LiteSVM with the Backstop binary, a collateral mint, a Pyth legacy oracle, and exchange, fund 0 and market 0
//! listed exactly as the native harness lists them. Every successful instruction's compute units are recorded.

use crate::fixtures::*;
use crate::pyth::{LegacyPrice, LEGACY_SOL_USD};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_spl::token::spl_token;
use backstop::instructions::InitializeExchangeArgs;
use backstop::oracle::PYTH_LEGACY_PROGRAM_ID;
use backstop::state::{InsuranceFund, MarginAccount, Market, OracleConfig, OracleKind};
use backstop_client::{self as builders, pda, Flow, KeeperAccounts, ListMarket, MarketAccounts, Staking};
use backstop_math::params::MarketParams;
use litesvm::LiteSVM;
use solana_keypair::Keypair;
use solana_program_pack::Pack;
use solana_signer::Signer;
use solana_transaction::{InstructionError, Transaction, TransactionError};
use std::path::PathBuf;

/// The binary under test: `BACKSTOP_SO`, else `target/deploy/backstop.so` of the main workspace.
pub fn program_path() -> PathBuf {
    match std::env::var_os("BACKSTOP_SO") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/deploy/backstop.so"),
    }
}

/// One successful instruction and what it cost.
#[derive(Clone, Debug)]
pub struct Measurement {
    pub label: String,
    pub compute_units: u64,
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

pub struct Vm {
    pub svm: LiteSVM,
    pub payer: Keypair,
    pub governance: Keypair,
    pub mint_authority: Keypair,
    pub mint: Pubkey,
    pub fund: Pubkey,
    pub market: Pubkey,
    pub oracle: Pubkey,
    pub price: LegacyPrice,
    pub now: i64,
    pub measurements: Vec<Measurement>,
}

impl Vm {
    /// The binary loaded, a mint and an oracle at $100; nothing of Backstop initialised; the clock one timelock
    /// before T0.
    pub fn bare() -> Self {
        let path = program_path();
        let mut svm = LiteSVM::new();
        if let Err(error) = svm.add_program_from_file(backstop::ID, &path) {
            panic!("cannot load {} ({error:?}): build it with scripts/build-sbf.sh", path.display());
        }
        let payer = Keypair::new();
        svm.airdrop(&payer.pubkey(), 1_000_000_000_000).expect("airdrop");
        let mut vm = Self {
            svm,
            payer,
            governance: Keypair::new(),
            mint_authority: Keypair::new(),
            mint: Pubkey::default(),
            fund: pda::insurance_fund(0),
            market: pda::market(0),
            oracle: Pubkey::new_unique(),
            price: LegacyPrice::from_fixture(LEGACY_SOL_USD),
            now: T0 - TIMELOCK,
            measurements: Vec::new(),
        };
        vm.set_clock(T0 - TIMELOCK);
        vm.set_price(START_PRICE, START_CONF);
        vm.mint = vm.create_mint();
        vm
    }

    /// Exchange, fund 0 and market 0 listed with `params` and activated at T0, each step measured.
    pub fn listed(params: MarketParams) -> Self {
        let mut vm = Self::bare();
        let args = InitializeExchangeArgs {
            authority: vm.governance.pubkey(),
            guardian: Pubkey::new_unique(),
            treasury: Pubkey::new_unique(),
            timelock_delay_secs: TIMELOCK,
        };
        let program_data = vm.make_payer_upgrade_authority();
        let init = builders::initialize_exchange_with(vm.payer.pubkey(), args, Some(program_data));
        vm.measure("initialize_exchange", init, &[]);
        let fund = builders::initialize_insurance_fund_with(
            vm.governance.pubkey(),
            vm.payer.pubkey(),
            vm.mint,
            0,
            default_fund_params(),
        );
        let governance = vm.governance.insecure_clone();
        vm.measure("initialize_insurance_fund", fund, &[&governance]);
        let listing = ListMarket {
            authority: vm.governance.pubkey(),
            payer: vm.payer.pubkey(),
            collateral_mint: vm.mint,
            insurance_fund: vm.fund,
            oracle: vm.oracle,
            oracle_config: OracleConfig {
                kind: OracleKind::PythLegacy as u8,
                receiver: Pubkey::default(),
                feed_id: [0; 32],
                min_signatures: 0,
            },
            market_id: 0,
            params,
        };
        vm.measure("initialize_market", listing.instruction(), &[&governance]);
        for _ in 1..listing.instructions().len() {
            vm.measure("extend_market_book", builders::extend_market_book(vm.market, vm.payer.pubkey()), &[]);
        }
        vm.set_clock(T0);
        vm.set_price(START_PRICE, START_CONF);
        vm.measure("activate_market", builders::activate_market(vm.market, vm.payer.pubkey()), &[]);
        vm
    }

    /// LiteSVM deploys through the upgradeable loader with no authority; a real deploy has one, and only it may
    /// create the exchange. Makes the payer the upgrade authority and returns the ProgramData address.
    fn make_payer_upgrade_authority(&mut self) -> Pubkey {
        let loader = anchor_lang::solana_program::bpf_loader_upgradeable::ID;
        let program_data = Pubkey::find_program_address(&[backstop::ID.as_ref()], &loader).0;
        let mut account = self.svm.get_account(&program_data).expect("ProgramData account");
        // bincode UpgradeableLoaderState::ProgramData: tag u32, slot u64, then Option<Pubkey> at byte 12.
        account.data[12] = 1;
        account.data[13..45].copy_from_slice(self.payer.pubkey().as_ref());
        self.svm.set_account(program_data, account).expect("ProgramData authority");
        program_data
    }

    /// Sends one instruction (fee payer plus `signers`); the error is the transaction's.
    pub fn send(&mut self, instruction: Instruction, signers: &[&Keypair]) -> Result<u64, TransactionError> {
        // A fresh blockhash per transaction: repeating an instruction is never deduplicated.
        self.svm.expire_blockhash();
        let mut keys: Vec<&Keypair> = vec![&self.payer];
        keys.extend_from_slice(signers);
        let tx = Transaction::new_signed_with_payer(
            &[instruction],
            Some(&self.payer.pubkey()),
            &keys,
            self.svm.latest_blockhash(),
        );
        match self.svm.send_transaction(tx) {
            Ok(meta) => {
                if std::env::var_os("BACKSTOP_VM_LOGS").is_some_and(|v| v == "all") {
                    eprintln!("{}", meta.logs.join("\n"));
                }
                Ok(meta.compute_units_consumed)
            }
            Err(failure) => {
                if std::env::var_os("BACKSTOP_VM_LOGS").is_some() {
                    eprintln!("{:?}\n{}", failure.err, failure.meta.logs.join("\n"));
                }
                Err(failure.err)
            }
        }
    }

    /// Sends an instruction that must succeed and records its compute units under `label`.
    pub fn measure(&mut self, label: &str, instruction: Instruction, signers: &[&Keypair]) -> u64 {
        match self.send(instruction, signers) {
            Ok(units) => {
                self.measurements.push(Measurement { label: label.to_string(), compute_units: units });
                units
            }
            Err(error) => panic!("{label} failed in the VM: {error:?} (BACKSTOP_VM_LOGS=1 prints the logs)"),
        }
    }

    /// As [`Vm::measure`], signed by `actor`.
    pub fn act(&mut self, label: &str, actor: &Actor, instruction: Instruction) -> u64 {
        let keypair = actor.keypair.insecure_clone();
        self.measure(label, instruction, &[&keypair])
    }

    /// Sends as `actor`, asserts the exact Backstop error, and that `watched` did not change by a byte.
    pub fn assert_rejected(
        &mut self,
        actor: &Actor,
        instruction: Instruction,
        expected: backstop::error::BackstopError,
    ) {
        let watched = self.touched_by(actor);
        let before: Vec<_> = watched.iter().map(|address| self.svm.get_account(address)).collect();
        let keypair = actor.keypair.insecure_clone();
        let code: u32 = expected.into();
        match self.send(instruction, &[&keypair]) {
            Err(TransactionError::InstructionError(_, InstructionError::Custom(got))) if got == code => {}
            other => panic!("expected {expected:?} ({code}), got {other:?}"),
        }
        let after: Vec<_> = watched.iter().map(|address| self.svm.get_account(address)).collect();
        assert!(before == after, "a rejected {expected:?} changed state");
    }

    /// The accounts an actor's failed flow could have touched.
    pub fn touched_by(&self, actor: &Actor) -> Vec<Pubkey> {
        self.accounts().touched_by(actor.pubkey(), actor.token)
    }

    pub fn set_clock(&mut self, unix_timestamp: i64) {
        let mut clock: solana_clock::Clock = self.svm.get_sysvar();
        clock.unix_timestamp = unix_timestamp;
        clock.slot += 1;
        self.svm.set_sysvar(&clock);
        self.now = unix_timestamp;
    }

    pub fn advance(&mut self, seconds: i64) {
        self.set_clock(self.now + seconds);
    }

    /// Publishes a price (mantissa at expo -8) stamped now, in the real legacy account layout.
    pub fn set_price(&mut self, price: i64, conf: u64) {
        self.price.set(price, conf, self.now);
        let account = self.price.account(PYTH_LEGACY_PROGRAM_ID);
        self.svm.set_account(self.oracle, account).expect("oracle account");
    }

    fn create_mint(&mut self) -> Pubkey {
        let mint = Keypair::new();
        let rent = self.svm.minimum_balance_for_rent_exemption(spl_token::state::Mint::LEN);
        let create = solana_system_interface::instruction::create_account(
            &self.payer.pubkey(),
            &mint.pubkey(),
            rent,
            spl_token::state::Mint::LEN as u64,
            &spl_token::ID,
        );
        self.send(create, &[&mint]).expect("create mint account");
        let init = spl_token::instruction::initialize_mint2(
            &spl_token::ID,
            &mint.pubkey(),
            &self.mint_authority.pubkey(),
            None,
            6,
        )
        .expect("mint ix");
        self.send(init, &[]).expect("initialize mint");
        mint.pubkey()
    }

    pub fn create_token_account(&mut self, owner: Pubkey) -> Pubkey {
        let account = Keypair::new();
        let rent = self.svm.minimum_balance_for_rent_exemption(spl_token::state::Account::LEN);
        let create = solana_system_interface::instruction::create_account(
            &self.payer.pubkey(),
            &account.pubkey(),
            rent,
            spl_token::state::Account::LEN as u64,
            &spl_token::ID,
        );
        self.send(create, &[&account]).expect("create token account");
        let init = spl_token::instruction::initialize_account3(&spl_token::ID, &account.pubkey(), &self.mint, &owner)
            .expect("account ix");
        self.send(init, &[]).expect("initialize token account");
        account.pubkey()
    }

    /// A wallet with SOL and `tokens` atoms of collateral.
    pub fn actor(&mut self, tokens: u64) -> Actor {
        let keypair = Keypair::new();
        self.svm.airdrop(&keypair.pubkey(), 1_000_000_000).expect("airdrop");
        let token = self.create_token_account(keypair.pubkey());
        if tokens > 0 {
            let mint_to = spl_token::instruction::mint_to(
                &spl_token::ID,
                &self.mint,
                &token,
                &self.mint_authority.pubkey(),
                &[],
                tokens,
            )
            .expect("mint_to ix");
            let authority = self.mint_authority.insecure_clone();
            self.send(mint_to, &[&authority]).expect("mint to");
        }
        Actor { keypair, token }
    }

    /// An actor with a margin account holding `collateral`.
    pub fn trader(&mut self, collateral: u64) -> Actor {
        let actor = self.actor(collateral);
        self.act("create_margin_account", &actor, builders::create_margin_account(self.market, actor.pubkey()));
        if collateral > 0 {
            self.act("deposit", &actor, self.flow(&actor).deposit(collateral));
        }
        actor
    }

    /// An actor with an LP position holding `amount`.
    pub fn lp(&mut self, amount: u64) -> Actor {
        let actor = self.actor(amount);
        self.act("create_lp_position", &actor, builders::create_lp_position(self.market, actor.pubkey()));
        self.act("lp_deposit", &actor, self.lp_flow(&actor).lp_deposit(amount));
        actor
    }

    /// Fund 0 given `amount` of capital by a staker of its own, through `stake`.
    pub fn seed_fund(&mut self, amount: u64) -> Actor {
        let staker = self.actor(amount);
        self.act("create_stake_position", &staker, self.staking(&staker).create());
        self.act("stake", &staker, self.staking(&staker).stake(amount));
        staker
    }

    /// Market 0, its vault, mint, oracle and fund: every flow's accounts follow from these.
    pub fn accounts(&self) -> MarketAccounts {
        MarketAccounts::new(self.market, self.fund, self.mint, self.oracle)
    }

    pub fn flow(&self, actor: &Actor) -> Flow {
        self.accounts().flow(actor.pubkey(), actor.token)
    }

    pub fn lp_flow(&self, actor: &Actor) -> Flow {
        self.accounts().lp_flow(actor.pubkey(), actor.token)
    }

    pub fn keeper(&self) -> KeeperAccounts {
        self.accounts().keeper()
    }

    pub fn staking(&self, actor: &Actor) -> Staking {
        self.accounts().staking(actor.pubkey(), actor.token)
    }

    /// A zero-copy program account, read after its 8-byte discriminator.
    pub fn load<T: bytemuck::Pod>(&self, address: Pubkey) -> T {
        let account = self.svm.get_account(&address).expect("account exists");
        bytemuck::pod_read_unaligned(&account.data[8..8 + core::mem::size_of::<T>()])
    }

    pub fn market_state(&self) -> Market {
        self.load(self.market)
    }

    pub fn fund_state(&self) -> InsuranceFund {
        self.load(self.fund)
    }

    pub fn margin(&self, actor: &Actor) -> MarginAccount {
        self.load(pda::margin_account(&self.market, &actor.pubkey()))
    }

    pub fn token_balance(&self, token: Pubkey) -> u64 {
        let account = self.svm.get_account(&token).expect("token account");
        spl_token::state::Account::unpack(&account.data).expect("token layout").amount
    }

    /// The market vault holds exactly what the books owe from it; the fund vault exactly the fund's balance.
    pub fn assert_vaults_match_books(&self) {
        let (accounts, market) = (self.accounts(), self.market_state());
        assert_eq!(self.token_balance(accounts.vault), market.books.vault_liability().expect("liability"));
        assert_eq!(self.token_balance(accounts.fund_vault), self.fund_state().book.balance);
    }
}
