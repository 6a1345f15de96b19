// The SDK against the real program binary in LiteSVM: a trader's deposit → trade → withdraw, a liquidation at the
// exact price the SDK's math names, a bankruptcy covered by the fund, events decoded from each transaction and a
// refusal decoded by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Address, KeyPairSigner } from '@solana/kit';
import {
  getExchangeSize,
  getInsuranceFundSize,
  getLpPositionSize,
  getStakePositionSize,
  getRefreshMarketInstruction,
  getMarginAccountSize,
  getMarketBookSize,
  getMarketSize,
  getCoverBankruptcyInstruction,
  getLiquidateInstruction,
  getTradeInstruction,
  getWithdrawInstruction,
} from '../src/generated';
import { balancesOf, marginParamsOf } from '../src/accounts';
import { backstopErrorCode } from '../src/errors';
import { health, isLiquidatable, liquidationPrice } from '../src/health';
import type { BackstopEvent } from '../src/generated/events';
import { Refused, type Sent } from './harness';
import { DOLLAR, listed, ONE, seedFund, seedPool, testParams, trader, USDC, type Listed } from './market';

type EventData = { [E in BackstopEvent as E['name']]: E['data'] };

/** The one event named `name` the transaction emitted. */
function only<N extends keyof EventData>(sent: Sent, name: N): EventData[N] {
  const found = sent.events.filter((event) => event.name === name);
  assert.equal(found.length, 1, `one ${name} in ${sent.events.map((event) => event.name).join(', ')}`);
  return found[0].data as EventData[N];
}

function margin(l: Listed, at: Address) {
  const account = l.vm.read(at);
  assert.equal(account.kind, 'MarginAccount');
  return account.data as Extract<typeof account, { kind: 'MarginAccount' }>['data'];
}

function marketState(l: Listed) {
  const account = l.vm.read(l.market);
  assert.equal(account.kind, 'Market');
  return account.data as Extract<typeof account, { kind: 'Market' }>['data'];
}

const trade = (l: Listed, who: { owner: KeyPairSigner; marginAccount: Address }, baseDelta: bigint) =>
  getTradeInstruction({
    market: l.market,
    marginAccount: who.marginAccount,
    marketBook: l.marketBook,
    owner: who.owner,
    oracle: l.vm.oracle,
    insuranceFund: l.fund,
    eventAuthority: l.eventAuthority,
    program: l.program,
    baseDelta,
  });

const withdraw = (l: Listed, who: { owner: KeyPairSigner; token: Address; marginAccount: Address }, amount: bigint) =>
  getWithdrawInstruction({
    market: l.market,
    marginAccount: who.marginAccount,
    marketBook: l.marketBook,
    insuranceFund: l.fund,
    owner: who.owner,
    destination: who.token,
    vault: l.marketVault,
    collateralMint: l.mint,
    oracle: l.vm.oracle,
    eventAuthority: l.eventAuthority,
    program: l.program,
    amount,
  });

const liquidate = (l: Listed, keeper: { owner: KeyPairSigner; marginAccount: Address }, liquidatee: Address) =>
  getLiquidateInstruction({
    market: l.market,
    liquidatee,
    liquidator: keeper.marginAccount,
    marketBook: l.marketBook,
    keeper: keeper.owner,
    oracle: l.vm.oracle,
    eventAuthority: l.eventAuthority,
    program: l.program,
  });

/** A deep LP pool, a funded insurance fund, a trader 9x long at $100.01 on $100 and a keeper with a margin account
 * (the liquidator's reward is paid into it). */
async function leveragedLong() {
  const l = await listed();
  await seedPool(l, 100_000n * USDC);
  await seedFund(l, 10_000n * USDC);
  const long = await trader(l, 100n * USDC);
  const keeper = await trader(l, 0n);
  await l.vm.send([trade(l, long, 9n * ONE)]);
  return { l, trader: long, keeper };
}

/** Five seconds later, the oracle at `price` ± 0 (the liquidation price is taken at zero confidence). */
function movePrice(l: Listed, price: bigint) {
  l.vm.setClock(l.vm.now + 5n);
  l.vm.setPrice(price, 0n);
}

test('every account decodes, at its full size, to what the program wrote', async () => {
  const l = await listed();
  const stakePosition = await seedFund(l, 10_000n * USDC);
  const lpPosition = await seedPool(l, 50_000n * USDC);
  const alice = await trader(l, 1_000n * USDC);
  const sizes: Record<string, number> = {
    LpPosition: getLpPositionSize(),
    StakePosition: getStakePositionSize(),
    Exchange: getExchangeSize(),
    InsuranceFund: getInsuranceFundSize(),
    Market: getMarketSize(),
    MarketBook: getMarketBookSize(),
    MarginAccount: getMarginAccountSize(),
  };
  for (const at of [l.exchange, l.fund, l.market, l.marketBook, alice.marginAccount, lpPosition, stakePosition]) {
    const account = l.vm.read(at);
    assert.equal(l.vm.bytes(at)?.length, sizes[account.kind], account.kind);
  }
  const exchange = l.vm.read(l.exchange);
  assert.ok(exchange.kind === 'Exchange');
  assert.equal(exchange.data.authority, l.governance.address);
  assert.equal(exchange.data.marketCount, 1);
  assert.ok(exchange.data.reserved.every((byte) => byte === 0));
  const fund = l.vm.read(l.fund);
  assert.ok(fund.kind === 'InsuranceFund');
  assert.deepEqual([fund.data.mint, fund.data.vault, fund.data.book.balance], [l.mint, l.fundVault, 10_000n * USDC]);
  assert.equal(fund.data.inflowStakes, 10_000n * USDC);
  assert.ok(fund.data.reserved.every((byte) => byte === 0));
  // The market's parameters come back as listed, behind 5 addresses, a feed id and the ledger; its last field is
  // reserved zeros: a layout off by a byte anywhere would show in one or the other.
  const market = marketState(l);
  assert.deepEqual([market.collateralMint, market.vault, market.oracle], [l.mint, l.marketVault, l.vm.oracle]);
  const listedParams = testParams();
  for (const [name, value] of Object.entries(market.params)) {
    assert.equal(BigInt(value), BigInt(listedParams[name as keyof typeof listedParams]), name);
  }
  assert.equal(market.marketId, 0);
  assert.ok(market.reserved.every((byte) => byte === 0));
  const book = l.vm.read(l.marketBook);
  assert.ok(book.kind === 'MarketBook' && book.data.market === l.market);
  const account = margin(l, alice.marginAccount);
  assert.deepEqual(
    [account.owner, account.market, account.balances.collateral],
    [alice.owner.address, l.market, 1_000n * USDC],
  );
  assert.ok(account.reserved.every((byte) => byte === 0));
  const lp = l.vm.read(lpPosition);
  assert.ok(lp.kind === 'LpPosition');
  assert.deepEqual([lp.data.market, lp.data.deposited], [l.market, 50_000n * USDC]);
  assert.equal(lp.data.shares, marketState(l).books.lpShares);
  assert.ok(lp.data.reserved.every((byte) => byte === 0));
  const stake = l.vm.read(stakePosition);
  assert.ok(stake.kind === 'StakePosition');
  assert.deepEqual(
    [stake.data.fund, stake.data.staked, stake.data.book.shares],
    [l.fund, 10_000n * USDC, fund.data.book.totalShares],
  );
  assert.ok(stake.data.reserved.every((byte) => byte === 0));
});

test("a trader's deposit, trade and withdrawal, with their events", async () => {
  const l = await listed();
  await seedPool(l, 100_000n * USDC);
  const alice = await trader(l, 1_000n * USDC);
  assert.equal(margin(l, alice.marginAccount).balances.collateral, 1_000n * USDC);

  const opened = await l.vm.send([trade(l, alice, 2n * ONE)]);
  const record = only(opened, 'TradeRecord');
  const account = margin(l, alice.marginAccount);
  assert.equal(record.owner, alice.owner.address);
  assert.equal(record.baseAfter, 2n * ONE);
  assert.equal(account.balances.position.base, 2n * ONE);
  assert.equal(record.collateralAfter, account.balances.collateral);
  assert.equal(account.balances.collateral, 1_000n * USDC - record.feeDue);
  // Bought one confidence interval above the oracle.
  assert.equal(record.fillPrice, 100n * DOLLAR + DOLLAR / 100n);

  const before = l.vm.tokenBalance(alice.token);
  const withdrawn = await l.vm.send([withdraw(l, alice, 100n * USDC)]);
  assert.equal(l.vm.tokenBalance(alice.token), before + 100n * USDC);
  const collateral = only(withdrawn, 'CollateralRecord');
  assert.equal(collateral.amount, 100n * USDC);
  assert.equal(collateral.collateralAfter, account.balances.collateral - 100n * USDC);

  // Withdrawing past initial margin is refused by name, and changes nothing.
  const watched = [alice.marginAccount, l.marketVault, alice.token].map((at) => l.vm.bytes(at));
  await assert.rejects(
    l.vm.send([withdraw(l, alice, 890n * USDC)]),
    (error: unknown) => error instanceof Refused && error.backstop?.name === 'InitialMarginBreached',
  );
  assert.deepEqual(
    [alice.marginAccount, l.marketVault, alice.token].map((at) => l.vm.bytes(at)),
    watched,
  );
});

test('the program liquidates at the price the SDK names, and not one price unit before it', async () => {
  const { l, trader: alice, keeper } = await leveragedLong();
  // An hour of funding on the long's side of the skew, brought into the market's index by a refresh; the SDK
  // settles it (and any socialized loss) into the account as the program's touch will.
  l.vm.setClock(l.vm.now + 3_600n);
  l.vm.setPrice(99n * DOLLAR, 0n);
  await l.vm.send([
    getRefreshMarketInstruction({
      market: l.market,
      marketBook: l.marketBook,
      insuranceFund: l.fund,
      oracle: l.vm.oracle,
      eventAuthority: l.eventAuthority,
      program: l.program,
    }),
  ]);
  const market = marketState(l);
  const stored = margin(l, alice.marginAccount);
  const balances = balancesOf(stored, market);
  const owed = stored.balances.collateral - balances.collateral;
  assert.ok(owed > 0n, `funding owed: ${owed}`);
  const params = marginParamsOf(market);
  const boundary = liquidationPrice(balances, params);
  assert.ok(boundary !== null && boundary < 99n * DOLLAR && boundary > 90n * DOLLAR, `${boundary}`);
  // Without the settlement the SDK would name another price: the funding matters at this precision.
  assert.notEqual(liquidationPrice(balancesOf(stored), params), boundary);

  // Same second: the program accrues no more funding, so it decides on exactly these balances.
  l.vm.setPrice(boundary + 1n, 0n);
  assert.equal(isLiquidatable(balances, { price: boundary + 1n, conf: 0n }, params), false);
  const watched = [alice.marginAccount, keeper.marginAccount, l.market].map((at) => l.vm.bytes(at));
  await assert.rejects(
    l.vm.send([liquidate(l, keeper, alice.marginAccount)]),
    (error: unknown) => error instanceof Refused && error.backstop?.code === backstopErrorCode('NotLiquidatable'),
  );
  assert.deepEqual(
    [alice.marginAccount, keeper.marginAccount, l.market].map((at) => l.vm.bytes(at)),
    watched,
  );

  l.vm.setPrice(boundary, 0n);
  const expected = health(balances, { price: boundary, conf: 0n }, params);
  const record = only(await l.vm.send([liquidate(l, keeper, alice.marginAccount)]), 'LiquidationRecord');
  assert.equal(record.liquidatee, alice.owner.address);
  assert.equal(record.maintenanceRequirementBefore, expected.maintenanceRequirement);
  assert.equal(margin(l, alice.marginAccount).balances.position.base, record.baseAfter);
});

test('a gap leaves a bankruptcy, and the fund covers it', async () => {
  const { l, trader: bob, keeper } = await leveragedLong();

  movePrice(l, 88n * DOLLAR);
  const liquidation = only(await l.vm.send([liquidate(l, keeper, bob.marginAccount)]), 'LiquidationRecord');
  assert.equal(liquidation.bankrupt, true);
  const owed = -margin(l, bob.marginAccount).balances.collateral;
  assert.ok(owed > 0n);

  const fundBefore = l.vm.tokenBalance(l.fundVault);
  const covered = only(
    await l.vm.send([
      getCoverBankruptcyInstruction({
        market: l.market,
        bankruptAccount: bob.marginAccount,
        insuranceFund: l.fund,
        fundVault: l.fundVault,
        vault: l.marketVault,
        collateralMint: l.mint,
        oracle: l.vm.oracle,
        keeper: keeper.owner,
        eventAuthority: l.eventAuthority,
        program: l.program,
      }),
    ]),
    'BankruptcyCovered',
  );
  assert.equal(covered.deficit, owed);
  assert.equal(covered.paidByFund, owed);
  assert.equal(covered.socialized + covered.uncovered + covered.clawedBackFromLps, 0n);
  assert.equal(l.vm.tokenBalance(l.fundVault), fundBefore - owed);
  assert.equal(margin(l, bob.marginAccount).balances.collateral, 0n);
});
