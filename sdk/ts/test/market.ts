// Exchange, fund 0 and market 0 listed and activated through the SDK's own builders and PDAs, with the production
// preset's parameters (fixtures/presets.json, written from the client's preset by the Rust test that writes the
// health fixtures), and the wallets the tests act as.
import { address, type Address, type KeyPairSigner } from '@solana/kit';
import { readFileSync } from 'node:fs';
import {
  getActivateMarketInstruction,
  getCreateLpPositionInstruction,
  getCreateMarginAccountInstruction,
  getCreateStakePositionInstruction,
  getDepositInstruction,
  getExtendMarketBookInstruction,
  getInitializeExchangeInstruction,
  getInitializeInsuranceFundInstruction,
  getInitializeMarketInstruction,
  getLpDepositInstruction,
  getMarketBookSize,
  getStakeInstruction,
  BACKSTOP_PROGRAM_ADDRESS,
  type MarketParamsArgs,
} from '../src/generated';
import {
  eventAuthorityAddress,
  exchangeAddress,
  fundVaultAddress,
  insuranceFundAddress,
  lpPositionAddress,
  marginAccountAddress,
  marketAddress,
  marketBookAddress,
  marketVaultAddress,
  stakePositionAddress,
} from '../src/pda';
import { Vm } from './harness';

export const USDC = 1_000_000n;
export const ONE = 1_000_000_000n;
export const DOLLAR = 1_000_000n;
const TIMELOCK = 3_600n;
/** What one instruction may allocate: the book is created at this size and grown by it (`extend_market_book`). */
const BOOK_STEP = 10_240;

const snakeToCamel = (name: string) => name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());

/** The production preset (funding, the dynamic fee and the circuit breaker on), as `backstop init-market` lists. */
export function testParams(): MarketParamsArgs {
  const presets = JSON.parse(readFileSync(new URL('./fixtures/presets.json', import.meta.url), 'utf8'));
  return Object.fromEntries(
    Object.entries(presets.production as Record<string, string>).map(([name, value]) => [
      snakeToCamel(name),
      Number(value),
    ]),
  ) as MarketParamsArgs;
}

export type Listed = {
  vm: Vm;
  governance: KeyPairSigner;
  mintAuthority: KeyPairSigner;
  mint: Address;
  exchange: Address;
  fund: Address;
  fundVault: Address;
  market: Address;
  marketVault: Address;
  marketBook: Address;
  eventAuthority: Address;
  program: Address;
};

export async function listed(): Promise<Listed> {
  const vm = await Vm.start();
  vm.setClock(vm.now - TIMELOCK);
  vm.setPrice(100n * DOLLAR, DOLLAR / 100n);
  const governance = await vm.wallet();
  const mintAuthority = await vm.wallet();
  const mint = await vm.createMint(mintAuthority.address);
  const [exchange] = await exchangeAddress();
  const [fund] = await insuranceFundAddress(0);
  const [fundVault] = await fundVaultAddress(fund);
  const [market] = await marketAddress(0);
  const [marketVault] = await marketVaultAddress(market);
  const [marketBook] = await marketBookAddress(market);
  const [eventAuthority] = await eventAuthorityAddress();
  const program = BACKSTOP_PROGRAM_ADDRESS;
  const programData = await vm.makePayerUpgradeAuthority();
  const noOne = address('11111111111111111111111111111111');

  await vm.send([
    getInitializeExchangeInstruction({
      exchange,
      payer: vm.payer,
      backstopProgram: program,
      programData,
      eventAuthority,
      program,
      authority: governance.address,
      guardian: (await vm.wallet()).address,
      treasury: (await vm.wallet()).address,
      timelockDelaySecs: TIMELOCK,
    }),
  ]);
  await vm.send([
    getInitializeInsuranceFundInstruction({
      exchange,
      authority: governance,
      insuranceFund: fund,
      vault: fundVault,
      mint,
      payer: vm.payer,
      eventAuthority,
      program,
      fundId: 0,
      params: { cooldownSecs: 86_400, vestingPeriodSecs: 86_400, gateBps: 10_000, gateWindowSecs: 3_600 },
    }),
  ]);
  await vm.send([
    getInitializeMarketInstruction({
      exchange,
      authority: governance,
      market,
      vault: marketVault,
      marketBook,
      collateralMint: mint,
      insuranceFund: fund,
      oracle: vm.oracle,
      payer: vm.payer,
      eventAuthority,
      program,
      marketId: 0,
      oracleArg: { kind: 0, receiver: noOne, feedId: new Uint8Array(32), minSignatures: 0 },
      params: testParams(),
    }),
  ]);
  for (let step = 1; step < Math.ceil(getMarketBookSize() / BOOK_STEP); step++) {
    await vm.send([getExtendMarketBookInstruction({ market, marketBook, payer: vm.payer })]);
  }
  vm.setClock(vm.now + TIMELOCK);
  vm.setPrice(100n * DOLLAR, DOLLAR / 100n);
  await vm.send([
    getActivateMarketInstruction({ exchange, market, marketBook, caller: vm.payer, eventAuthority, program }),
  ]);
  return {
    vm,
    governance,
    mintAuthority,
    mint,
    exchange,
    fund,
    fundVault,
    market,
    marketVault,
    marketBook,
    eventAuthority,
    program,
  };
}

/** A wallet holding `tokens` of collateral in a token account of its own. */
export async function funded(l: Listed, tokens: bigint): Promise<{ owner: KeyPairSigner; token: Address }> {
  const owner = await l.vm.wallet();
  const token = await l.vm.createTokenAccount(l.mint, owner.address);
  if (tokens > 0n) await l.vm.mintTo(l.mint, l.mintAuthority, token, tokens);
  return { owner, token };
}

/** A trader with a margin account holding `collateral`. */
export async function trader(l: Listed, collateral: bigint) {
  const { owner, token } = await funded(l, collateral);
  const [marginAccount] = await marginAccountAddress(l.market, owner.address);
  await l.vm.send([getCreateMarginAccountInstruction({ market: l.market, marginAccount, owner })]);
  if (collateral > 0n) {
    await l.vm.send([
      getDepositInstruction({
        market: l.market,
        marginAccount,
        marketBook: l.marketBook,
        owner,
        ownerToken: token,
        vault: l.marketVault,
        collateralMint: l.mint,
        eventAuthority: l.eventAuthority,
        program: l.program,
        amount: collateral,
      }),
    ]);
  }
  return { owner, token, marginAccount };
}

/** The LP pool given `amount` by an LP of its own; its position. */
export async function seedPool(l: Listed, amount: bigint): Promise<Address> {
  const { owner, token } = await funded(l, amount);
  const [lpPosition] = await lpPositionAddress(l.market, owner.address);
  await l.vm.send([getCreateLpPositionInstruction({ market: l.market, lpPosition, owner })]);
  await l.vm.send([
    getLpDepositInstruction({
      market: l.market,
      lpPosition,
      owner,
      ownerToken: token,
      vault: l.marketVault,
      collateralMint: l.mint,
      oracle: l.vm.oracle,
      eventAuthority: l.eventAuthority,
      program: l.program,
      amount,
    }),
  ]);
  return lpPosition;
}

/** Fund 0 given `amount` by a staker of its own; its position. */
export async function seedFund(l: Listed, amount: bigint): Promise<Address> {
  const { owner, token } = await funded(l, amount);
  const [stakePosition] = await stakePositionAddress(l.fund, owner.address);
  await l.vm.send([getCreateStakePositionInstruction({ insuranceFund: l.fund, stakePosition, owner })]);
  await l.vm.send([
    getStakeInstruction({
      insuranceFund: l.fund,
      stakePosition,
      owner,
      ownerToken: token,
      vault: l.fundVault,
      mint: l.mint,
      eventAuthority: l.eventAuthority,
      program: l.program,
      amount,
    }),
  ]);
  return stakePosition;
}
