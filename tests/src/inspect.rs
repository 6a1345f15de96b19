//! What tests ask of the bank beyond sending: exact rejections with nothing changed, events, fund
//! fixtures and the conservation checks.

use crate::builders::pda;
use crate::env::*;
use crate::fixtures::*;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use backstop::state::Market;
use solana_keypair::Keypair;
use solana_program_test::BanksClientError;

/// A second creation at an address that already holds an account is refused by name (see `backstop::pda`).
pub fn assert_already_initialized(result: Result<(), BanksClientError>) {
    let expected: u32 = backstop::error::BackstopError::AccountAlreadyInitialized.into();
    match &result {
        Err(failure) if custom_error_code(failure) == Some(expected) => {}
        other => panic!("expected AccountAlreadyInitialized, got {other:?}"),
    }
}

/// The custom error code inside a failed transaction, if it failed with one.
pub fn custom_error_code(failure: &BanksClientError) -> Option<u32> {
    use solana_transaction::{InstructionError, TransactionError};
    match failure {
        BanksClientError::TransactionError(TransactionError::InstructionError(_, InstructionError::Custom(code)))
        | BanksClientError::SimulationError {
            err: TransactionError::InstructionError(_, InstructionError::Custom(code)),
            ..
        } => Some(*code),
        _ => None,
    }
}

impl Env {
    /// Sends `instruction` as `actor`, asserts it fails with exactly `expected`, and that none of the accounts
    /// the flow could touch changed by a byte.
    pub async fn assert_rejected(
        &mut self,
        actor: &Actor,
        instruction: Instruction,
        expected: impl Into<u32> + core::fmt::Debug + Copy,
    ) {
        let keypair = actor.keypair.insecure_clone();
        let watched = self.touched_by(actor);
        self.assert_rejected_by(&watched, &[&keypair], instruction, expected).await;
    }

    /// As [`Env::assert_rejected`], with explicit signers (besides the payer) and watched accounts.
    pub async fn assert_rejected_by(
        &mut self,
        watched: &[Pubkey],
        signers: &[&Keypair],
        instruction: Instruction,
        expected: impl Into<u32> + core::fmt::Debug + Copy,
    ) {
        let before = self.snapshot(watched).await;
        let result = self.send(&[instruction], signers).await;
        let code: u32 = expected.into();
        match result {
            Err(failure) => {
                assert_eq!(custom_error_code(&failure), Some(code), "expected {expected:?} ({code}), got {failure:?}")
            }
            Ok(()) => panic!("expected {expected:?}, but the transaction succeeded"),
        }
        assert!(before == self.snapshot(watched).await, "a rejected transaction changed state");
    }

    /// The oracle's current price as the program normalises it (the fixture's exponent is -8).
    pub fn oracle_price(&self) -> backstop_math::oracle::OraclePrice {
        let (price, conf) = match &self.pull {
            Some(update) => (update.price(), update.conf()),
            None => (self.price.price(), u64::from_le_bytes(self.price.data[216..224].try_into().expect("8 bytes"))),
        };
        backstop_math::oracle::OraclePrice {
            price: price / 100,
            conf: i64::try_from(conf.div_ceil(100)).expect("conf fits"),
            publish_time: self.oracle_publish_time(),
        }
    }

    /// Publishes the oracle's current price and confidence again, stamped now (after the clock moved).
    pub async fn republish(&mut self) {
        let (price, conf) = match &self.pull {
            Some(update) => (update.price(), update.conf()),
            None => (self.price.price(), u64::from_le_bytes(self.price.data[216..224].try_into().expect("8 bytes"))),
        };
        self.set_price(price, conf).await;
    }

    /// `lp` asks to leave with `shares`, then the market's exit delay passes (the price re-published unchanged):
    /// `lp_withdraw(shares)` may then serve it.
    pub async fn request_lp_exit(&mut self, lp: &Actor, shares: u64) {
        self.act(lp, self.lp_flow(lp).request_lp_withdraw(shares)).await.expect("request lp exit");
        let delay = self.market_state().await.params.lp_exit_delay_secs;
        self.advance(i64::from(delay)).await;
        self.republish().await;
    }

    /// Alice ($100) buys 9 SOL at $100.01, a keeper gets a margin account, then SOL gaps to $85: Alice is $36.080090
    /// beyond her collateral, not yet liquidated (docs/mechanism.md's worked example). Returns (alice, keeper).
    pub async fn alice_gapped_to_85(&mut self) -> (Actor, Actor) {
        let alice = self.trader(100 * USDC).await;
        self.act(&alice, self.flow(&alice).trade(9 * ONE)).await.expect("open 9x");
        let keeper = self.trader(0).await;
        self.advance(5).await;
        self.set_price(usd(85), 1_000_000).await;
        (alice, keeper)
    }

    /// Gives insurance fund 0 `amount` of capital from a staker of its own, through `stake`.
    pub async fn seed_fund(&mut self, amount: u64) -> Actor {
        let staker = self.staker(amount).await;
        self.act(&staker, self.staking(&staker).stake(amount)).await.expect("stake");
        staker
    }

    /// A wallet with `tokens` and a stake position in fund 0 (nothing staked yet).
    pub async fn staker(&mut self, tokens: u64) -> Actor {
        let staker = self.actor(tokens).await;
        self.act(&staker, self.staking(&staker).create()).await.expect("stake position");
        staker
    }

    /// The accounts of `actor`'s staking flows in fund 0.
    pub fn staking(&self, actor: &Actor) -> crate::builders::Staking {
        self.accounts().staking(actor.pubkey(), actor.token)
    }

    pub async fn stake_position(&mut self, actor: &Actor) -> backstop::state::StakePosition {
        self.load(pda::stake_position(&self.fund, &actor.pubkey())).await
    }

    /// The fund vault holds exactly the fund's balance.
    pub async fn assert_fund_vault_matches_books(&mut self) {
        let fund = self.fund_state().await;
        let vault = self.token_balance(pda::fund_vault(&self.fund)).await;
        assert_eq!(vault, fund.book.balance, "fund vault vs fund balance");
    }

    /// Market 0's bankruptcy book.
    pub async fn market_book(&mut self) -> backstop::state::MarketBook {
        self.load(pda::market_book(&self.market)).await
    }

    /// The market's bankruptcy book against the exact sum of `actors`' own deficits (every margin account of the
    /// market), at the last price and at every reported shock either way: never under, over by at most the
    /// book's stated bound; one term per open position; and at least the socialized loss the accounts have yet to
    /// apply. Returns the stressed deficit at 30 % (for tests that follow it).
    pub async fn assert_book_agrees(&mut self, actors: &[&Actor]) -> u64 {
        use backstop_math::book::{exact_deficit, level, REPORT_SHOCKS_BPS};
        let (market, book) = (self.market_state().await, self.market_book().await);
        let mut accounts = Vec::with_capacity(actors.len());
        for actor in actors {
            let margin = self.margin(actor).await;
            // Each account keeps exactly the term its balances give.
            let expected = backstop_math::book::Entry::of(&margin.balances).expect("term");
            assert_eq!(margin.book_term.entry(), expected, "kept term of {}", actor.pubkey());
            accounts.push(margin.balances);
        }
        let open = |long: bool| accounts.iter().filter(move |a| a.position.base != 0 && (a.position.base > 0) == long);
        assert_eq!(
            (book.book.long_entries, book.book.short_entries),
            (open(true).count() as u64, open(false).count() as u64)
        );
        let pending: u64 = accounts
            .iter()
            .map(|a| backstop_math::ledger::pending_social_loss(a, &market.books).expect("social"))
            .sum();
        // What is counted as unapplied, with each account's own rounding allowance, covers what they will apply.
        let allowance = backstop_math::book::SOCIAL_ROUNDING * accounts.len() as u64;
        let unapplied = book.book.social_unapplied(market.cumulative_socialized);
        assert!(
            unapplied + allowance >= pending,
            "socialized loss undercounted: {unapplied} + {allowance} < {pending}"
        );
        let (price, index) = (market.last_oracle_price, market.books.cumulative_funding_index);
        let shocked = |bps: u32, up: bool| {
            let moved = i128::from(price) * (10_000 + if up { i128::from(bps) } else { -i128::from(bps) }) / 10_000;
            i64::try_from(moved).expect("price")
        };
        let prices = std::iter::once(price)
            .chain(REPORT_SHOCKS_BPS.iter().flat_map(|s| [shocked(*s, false), shocked(*s, true)]));
        for at in prices {
            for long in [true, false] {
                let exact: i128 = open(long).map(|a| exact_deficit(a, at, index).expect("deficit")).sum();
                let read = book.book.side_reading(long, level(at, index));
                assert!(
                    i128::from(read.deficit) >= exact,
                    "book under at {at} (long {long}): {} < {exact}",
                    read.deficit
                );
                assert!(
                    i128::from(read.deficit) - exact <= i128::from(read.overstatement_bound),
                    "book over at {at} (long {long}): {} vs {exact}, bound {}",
                    read.deficit,
                    read.overstatement_bound
                );
            }
        }
        book.stressed_deficit(&market, 3_000).expect("stressed")
    }

    /// The keeper accounts of market 0's fund flows.
    pub fn keeper_accounts(&self) -> crate::builders::KeeperAccounts {
        self.accounts().keeper()
    }

    /// Overwrites market 0's status byte, standing in for governance (issue 4) in tests of the trade path.
    pub async fn force_market_status(&mut self, status: backstop::state::MarketStatus) {
        let mut market = self.market_state().await;
        market.status = status as u8;
        let mut account = self.account(self.market).await.expect("market");
        account.data[8..8 + core::mem::size_of::<Market>()].copy_from_slice(bytemuck::bytes_of(&market));
        self.ctx.set_account(&self.market, &account.into());
    }

    /// The events the program emitted (via `emit_cpi!`) when simulating `instruction` as `actor`.
    pub async fn simulate_events(&mut self, actor: &Actor, instruction: Instruction) -> Vec<Vec<u8>> {
        let keypair = actor.keypair.insecure_clone();
        self.simulate_events_by(&[&keypair], instruction).await
    }

    /// As [`Env::simulate_events`], signed by `signers` besides the payer.
    pub async fn simulate_events_by(&mut self, signers: &[&Keypair], instruction: Instruction) -> Vec<Vec<u8>> {
        let tx = self.transaction(&[instruction], signers).await;
        let simulation = self.ctx.banks_client.simulate_transaction(tx).await.expect("simulate");
        assert!(matches!(simulation.result, Some(Ok(()))), "simulation failed: {:?}", simulation.result);
        let details = simulation.simulation_details.expect("details");
        let inner = details.inner_instructions.unwrap_or_default();
        inner
            .into_iter()
            .flatten()
            .map(|ix| ix.instruction.data)
            .filter(|data| data.starts_with(anchor_lang::event::EVENT_IX_TAG_LE))
            .map(|data| data[8..].to_vec())
            .collect()
    }
}

/// Decodes an event of type `E` from `emit_cpi!` data (discriminator, then Borsh).
pub fn decode_event<E: anchor_lang::Event + anchor_lang::AnchorDeserialize>(events: &[Vec<u8>]) -> Option<E> {
    events.iter().find_map(|data| {
        let body = data.strip_prefix(E::DISCRIMINATOR)?;
        E::deserialize(&mut &body[..]).ok()
    })
}
