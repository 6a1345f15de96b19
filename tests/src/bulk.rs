//! Driving a bank fast: what [`Env::trader`] does in six transactions, in one, and a transaction executed at once
//! rather than queued and polled for (a 10,000-trader replay counts both).

use crate::builders::{self, MarketAccounts};
use crate::env::{Actor, Env, WALLET_LAMPORTS};
use anchor_lang::solana_program::instruction::Instruction;
use anchor_spl::token::spl_token;
use solana_keypair::Keypair;
use solana_program_pack::Pack;
use solana_program_test::BanksClientError;
use solana_signer::Signer;

impl Env {
    /// A new trader of `accounts`' market in one transaction: 1 SOL, a token account of the collateral mint, the
    /// margin account and a deposit of `collateral` atoms (minted to the wallet first). Returns the wallet, the
    /// instructions, and their signers besides the payer (the token account's keypair, the mint authority, the
    /// wallet). [`Env::trader`] takes six transactions for the same; a 10,000-trader replay counts them.
    pub async fn new_trader_transaction(
        &mut self,
        accounts: &MarketAccounts,
        collateral: u64,
    ) -> (Actor, Vec<Instruction>, Vec<Keypair>) {
        let (keypair, token) = (Keypair::new(), Keypair::new());
        let len = spl_token::state::Account::LEN;
        let rent = match self.token_account_rent {
            Some(rent) => rent,
            None => self.ctx.banks_client.get_rent().await.expect("rent").minimum_balance(len),
        };
        self.token_account_rent = Some(rent);
        let owner = keypair.pubkey();
        let mut instructions = vec![
            solana_system_interface::instruction::transfer(&self.payer(), &owner, WALLET_LAMPORTS),
            solana_system_interface::instruction::create_account(
                &self.payer(),
                &token.pubkey(),
                rent,
                len as u64,
                &spl_token::ID,
            ),
            spl_token::instruction::initialize_account3(&spl_token::ID, &token.pubkey(), &self.mint, &owner)
                .expect("account ix"),
            builders::create_margin_account(accounts.market, owner),
        ];
        if collateral > 0 {
            let mint = spl_token::instruction::mint_to(
                &spl_token::ID,
                &self.mint,
                &token.pubkey(),
                &self.mint_authority.pubkey(),
                &[],
                collateral,
            )
            .expect("mint_to ix");
            instructions.push(mint);
            instructions.push(accounts.flow(owner, token.pubkey()).deposit(collateral));
        }
        let actor = Actor { keypair: keypair.insecure_clone(), token: token.pubkey() };
        (actor, instructions, vec![token, self.mint_authority.insecure_clone(), keypair])
    }

    /// As [`Env::send`], executed on the working bank at once: the bank's `process_transaction` queues the
    /// transaction and polls for its status in a sleep loop, about a millisecond a transaction; this executes and
    /// commits it through the same bank path (age and duplicate checks; a failed execution committed, its fee
    /// charged, reported as the same `TransactionError`). What differs: the banks server does not verify the
    /// signatures here (a transaction built by [`Env::transaction`] is signed by construction), and a transaction
    /// refused before execution (an expired blockhash) fails at once rather than after the poll's deadline. Mixing
    /// it with [`Env::send`] on the same accounts in flight is not supported.
    pub async fn send_now(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<(), BanksClientError> {
        let transaction = self.transaction(instructions, signers).await;
        let done = self.ctx.banks_client.process_transaction_with_metadata(transaction).await?;
        done.result.map_err(BanksClientError::TransactionError)
    }
}
