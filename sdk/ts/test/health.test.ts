// The SDK's margin math against the Rust core's own answers: every case in fixtures/health.json was computed by
// `backstop_math` (client/tests/sdk_fixtures.rs writes the file and fails when it is stale): health, both margin
// tests, liquidatability, the liquidation price, the account as its next touch will leave it and after a trade. Where the core
// refused (an overflow), the SDK must refuse too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  health,
  isLiquidatable,
  liquidationPrice,
  MathOverflowError,
  OracleUncertainError,
  meetsInitial,
  meetsMaintenance,
  settledForMargin,
  type Balances,
  type MarketIndexes,
} from '../src/health';
import { projectedTrade } from '../src/trade';

type Refused = { error: string };
type Row = {
  params: {
    initialMarginBps: number;
    maintenanceMarginBps: number;
    unrealizedProfitCapBps: number;
    execConfScaleBps: number;
  };
  balances: Record<keyof Balances, string>;
  market: Record<keyof MarketIndexes, string>;
  price: { price: string; conf: string };
  health:
    | {
        maintenanceEquity: string;
        initialEquity: string;
        maintenanceRequirement: string;
        initialRequirement: string;
        meetsInitial: boolean;
        meetsMaintenance: boolean;
      }
    | Refused;
  liquidatable: boolean | Refused;
  liquidationPrice: string | null | Refused;
  settled:
    | {
        collateral: string;
        unsettledPnl: string;
        fundingIndex: string;
        socialLossIndex: string;
        socialLossEpoch: string;
      }
    | Refused;
  trade: { delta: string; feeBps: number };
  projected: { collateral: string; unsettledPnl: string; base: string; entryNotional: string } | Refused;
};

const rows: Row[] = JSON.parse(readFileSync(new URL('./fixtures/health.json', import.meta.url), 'utf8'));
const refused = (value: unknown): value is Refused => typeof value === 'object' && value !== null && 'error' in value;
const bigints = <K extends string>(record: Record<K, string>) =>
  Object.fromEntries(Object.entries(record).map(([key, value]) => [key, BigInt(value as string)])) as Record<K, bigint>;

/** The SDK's error for each refusal of the core's the fixtures can hold. */
const REFUSALS: Record<string, new (...args: never[]) => Error> = {
  Overflow: MathOverflowError,
  OracleUncertain: OracleUncertainError,
};

/** `compute()` equals `expected`, or both refuse, with the same refusal. */
function agrees<T>(compute: () => T, expected: unknown, convert: (value: never) => T, where: string) {
  if (refused(expected)) {
    assert.ok(REFUSALS[expected.error], `${where}: a refusal the SDK does not know: ${expected.error}`);
    assert.throws(compute, REFUSALS[expected.error], where);
  } else {
    assert.deepEqual(compute(), convert(expected as never), where);
  }
}

test('the fixtures hold enough cases of every kind', () => {
  assert.ok(rows.length >= 200);
  const bases = rows.map((row) => BigInt(row.balances.base));
  assert.ok(bases.some((base) => base > 0n) && bases.some((base) => base < 0n) && bases.some((base) => base === 0n));
  assert.ok(rows.some((row) => row.liquidatable === true) && rows.some((row) => row.liquidatable === false));
  assert.ok(rows.some((row) => !refused(row.health) && row.health.meetsMaintenance && !row.health.meetsInitial));
  assert.ok(rows.some((row) => refused(row.health)) && rows.some((row) => refused(row.liquidationPrice)));
  assert.ok(rows.some((row) => refused(row.projected) && row.projected.error === 'OracleUncertain'));
  assert.ok(rows.some((row) => BigInt(row.balances.base) === 0n && BigInt(row.balances.collateral) < 0n));
  assert.ok(new Set(rows.map((row) => row.params.execConfScaleBps)).size > 100);
  assert.ok(rows.filter((row) => row.market.socialLossEpoch !== '0').length > 50);
});

test('the margin math and the settled view equal the core on every fixture', () => {
  for (const [index, row] of rows.entries()) {
    const balances = bigints(row.balances);
    const price = bigints(row.price);
    const where = `case ${index}: ${JSON.stringify(row.balances)} at ${row.price.price}`;
    agrees(
      () => {
        const h = health(balances, price, row.params);
        return { ...h, meetsInitial: meetsInitial(h), meetsMaintenance: meetsMaintenance(h) };
      },
      row.health,
      (expected: Record<string, string | boolean>) =>
        Object.fromEntries(
          Object.entries(expected).map(([key, value]) => [key, typeof value === 'boolean' ? value : BigInt(value)]),
        ) as ReturnType<typeof health> & { meetsInitial: boolean; meetsMaintenance: boolean },
      where,
    );
    agrees(
      () => isLiquidatable(balances, price, row.params),
      row.liquidatable,
      (expected: boolean) => expected,
      where,
    );
    agrees(
      () => liquidationPrice(balances, row.params, price.conf),
      row.liquidationPrice,
      (expected: string | null) => (expected === null ? null : BigInt(expected)),
      where,
    );
    agrees(
      () => {
        const settled = settledForMargin(balances, bigints(row.market));
        const { collateral, unsettledPnl, fundingIndex, socialLossIndex, socialLossEpoch } = settled;
        return { collateral, unsettledPnl, fundingIndex, socialLossIndex, socialLossEpoch };
      },
      row.settled,
      (expected: Record<string, string>) => bigints(expected),
      where,
    );
    agrees(
      () => {
        const after = projectedTrade(balances, BigInt(row.trade.delta), price, row.params, row.trade.feeBps);
        const { collateral, unsettledPnl, base, entryNotional } = after;
        return { collateral, unsettledPnl, base, entryNotional };
      },
      row.projected,
      (expected: Record<string, string>) => bigints(expected),
      where,
    );
  }
});
