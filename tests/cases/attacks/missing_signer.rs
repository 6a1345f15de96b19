//! A missing signer: every flow that moves a user's value or governs the exchange, sent with the owner's (or the
//! authority's) account present but unsigned, is refused and changes nothing.

use anchor_lang::error::ErrorCode;
use anchor_lang::solana_program::instruction::Instruction;
use backstop_tests::*;
use solana_signer::Signer;

/// The instruction with `who` demoted from signer to plain account.
fn unsigned(mut instruction: Instruction, who: anchor_lang::prelude::Pubkey) -> Instruction {
    for meta in instruction.accounts.iter_mut().filter(|meta| meta.pubkey == who) {
        meta.is_signer = false;
    }
    instruction
}

#[tokio::test]
async fn every_value_moving_flow_without_its_owners_signature_is_refused() {
    let mut env = Env::new().await;
    let bob = env.lp(100 * USDC).await;
    let alice = env.trader(100 * USDC).await;
    env.act(&alice, env.flow(&alice).trade(ONE / 10)).await.expect("a position to protect");
    let carol = env.seed_fund(100 * USDC).await;
    let mut watched = env.touched_by(&alice);
    watched.extend(env.touched_by(&bob));
    watched.extend(env.touched_by(&carol));
    watched.push(pda::exchange());

    let stolen = [
        unsigned(env.flow(&alice).withdraw(USDC), alice.pubkey()),
        unsigned(env.flow(&alice).trade(ONE / 10), alice.pubkey()),
        unsigned(env.lp_flow(&bob).lp_withdraw(1), bob.pubkey()),
        unsigned(env.lp_flow(&bob).request_lp_withdraw(1), bob.pubkey()),
        unsigned(env.staking(&carol).request_unstake(1), carol.pubkey()),
        unsigned(env.staking(&carol).cancel_unstake(), carol.pubkey()),
        unsigned(env.staking(&carol).unstake(&[env.market]), carol.pubkey()),
        unsigned(env.staking(&carol).stake(1), carol.pubkey()),
        unsigned(
            governance::update_market_params(env.governance.pubkey(), env.market, default_params()),
            env.governance.pubkey(),
        ),
        unsigned(governance::set_market_status(env.governance.pubkey(), env.market, 2), env.governance.pubkey()),
        unsigned(
            backstop_tests::builders::fund_governance::cancel_fund_change(env.governance.pubkey(), env.fund),
            env.governance.pubkey(),
        ),
    ];
    for instruction in stolen {
        env.assert_rejected_by(&watched, &[], instruction, ErrorCode::AccountNotSigner).await;
    }
}
