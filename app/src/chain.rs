//! One small trait over "a Solana cluster running Backstop", so the keeper and the simulator run the same code
//! against an RPC node and against the in-process bank.

use crate::oracle::{load, price_from_account};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use backstop::state::{InsuranceFund, MarginAccount, Market};
use backstop_math::oracle::OraclePrice;
use backstop_tests::builders::MarketAccounts;
use backstop_tests::{Actor, Env};

pub type ChainResult<T> = Result<T, String>;

#[allow(async_fn_in_trait)]
pub trait Chain {
    /// The cluster's clock.
    async fn now(&mut self) -> ChainResult<i64>;
    /// The raw data and owner of an account.
    async fn account(&mut self, address: Pubkey) -> ChainResult<Option<(Vec<u8>, Pubkey)>>;
    /// Every margin account of `market` (address and state).
    async fn margin_accounts(&mut self, market: Pubkey) -> ChainResult<Vec<(Pubkey, MarginAccount)>>;
    /// Sends `instructions` in one transaction signed by the keeper.
    async fn send(&mut self, instructions: &[Instruction]) -> ChainResult<()>;
    /// The key that signs and collects rewards.
    fn keeper(&self) -> Pubkey;

    async fn market(&mut self, market: Pubkey) -> ChainResult<Market> {
        let (data, _) = self.account(market).await?.ok_or("market not found")?;
        load(&data)
    }

    async fn fund(&mut self, fund: Pubkey) -> ChainResult<InsuranceFund> {
        let (data, _) = self.account(fund).await?.ok_or("fund not found")?;
        load(&data)
    }

    /// Every market `fund` backs (the exchange's markets are dense ids): what an unstake must name.
    async fn fund_markets(&mut self, fund: Pubkey) -> ChainResult<Vec<Pubkey>> {
        let (data, _) = self.account(backstop_tests::builders::pda::exchange()).await?.ok_or("exchange not found")?;
        let exchange: backstop::state::Exchange = load(&data)?;
        let mut markets = Vec::new();
        for id in 0..exchange.market_count {
            let market = backstop_tests::builders::pda::market(id);
            if self.market(market).await?.insurance_fund == fund {
                markets.push(market);
            }
        }
        Ok(markets)
    }

    /// The accounts of `market` and its insurance fund, from which every flow's accounts follow.
    async fn market_accounts(&mut self, market: Pubkey) -> ChainResult<MarketAccounts> {
        let state = self.market(market).await?;
        let fund = self.fund(state.insurance_fund).await?;
        Ok(MarketAccounts {
            market,
            vault: state.vault,
            mint: state.collateral_mint,
            oracle: state.oracle,
            fund: state.insurance_fund,
            fund_vault: fund.vault,
        })
    }

    /// The market's oracle price, decoded and validated as the program would now.
    async fn oracle_price(&mut self, market: &Market) -> ChainResult<OraclePrice> {
        let now = self.now().await?;
        let (data, owner) = self.account(market.oracle).await?.ok_or("oracle not found")?;
        price_from_account(&data, &owner, market, now)
    }
}

/// The in-process bank (solana-program-test) as a [`Chain`]. A bank has no program-account index, so the
/// margin accounts to scan are registered as they are created.
pub struct InProcessChain {
    pub env: Env,
    pub keeper: Actor,
    pub accounts: Vec<Pubkey>,
}

impl Chain for InProcessChain {
    async fn now(&mut self) -> ChainResult<i64> {
        Ok(self.env.now)
    }

    async fn account(&mut self, address: Pubkey) -> ChainResult<Option<(Vec<u8>, Pubkey)>> {
        Ok(self.env.account(address).await.map(|a| (a.data, a.owner)))
    }

    async fn margin_accounts(&mut self, market: Pubkey) -> ChainResult<Vec<(Pubkey, MarginAccount)>> {
        let mut found = Vec::with_capacity(self.accounts.len());
        for address in self.accounts.clone() {
            if let Some((data, _)) = self.account(address).await? {
                let account: MarginAccount = load(&data)?;
                if account.market == market {
                    found.push((address, account));
                }
            }
        }
        Ok(found)
    }

    async fn send(&mut self, instructions: &[Instruction]) -> ChainResult<()> {
        let keeper = self.keeper.keypair.insecure_clone();
        let key = self.keeper();
        // The bank's payer pays; the keeper signs only where an instruction asks for its signature.
        let needs_keeper =
            instructions.iter().flat_map(|ix| ix.accounts.iter()).any(|m| m.is_signer && m.pubkey == key);
        let signers: Vec<&solana_keypair::Keypair> = if needs_keeper { vec![&keeper] } else { vec![] };
        self.env.send(instructions, &signers).await.map_err(|e| format!("{e:?}"))
    }

    fn keeper(&self) -> Pubkey {
        solana_signer::Signer::pubkey(&self.keeper.keypair)
    }
}
