// A trade's preview: the account once the fill lands, for the health and liquidation price a trading UI shows
// beside the button. A port of the Rust core's `ledger::projected_trade` (and the fill and fee it uses:
// `Position::apply_fill`, `OraclePrice::execution_price`, `fees::taker_fee`); test/health.test.ts checks it on the
// core's fixtures, and a Rust test checks the core's preview against the program's own `trade`.
import { BPS_DENOMINATOR } from './generated/constants';
import {
  MathOverflowError,
  mulDivCeil,
  notional,
  OracleUncertainError,
  toI64,
  toU64,
  valueCeil,
  valueFloor,
} from './fixed';
import type { Balances, Price } from './health';

/** The price a taker fills at: moved against the taker by conf × `confScaleBps` / 10 000, rounded up. */
export function executionPrice(price: Price, takerBuys: boolean, confScaleBps: number): bigint {
  const widening = toI64(mulDivCeil(price.conf, BigInt(confScaleBps), BPS_DENOMINATOR), 'widening');
  const filled = toI64(takerBuys ? price.price + widening : price.price - widening, 'fill price');
  if (filled <= 0n) throw new OracleUncertainError();
  return filled;
}

/** Fee on a fill of `fillNotional` at `feeBps`, rounded up. precision: QUOTE_PRECISION. */
export const takerFee = (fillNotional: bigint, feeBps: number) =>
  toU64(mulDivCeil(fillNotional, BigInt(feeBps), BPS_DENOMINATOR), 'fee');

/** A fill of `delta` base at `price` on a position: extends, reduces, closes or flips (the core's `apply_fill`). */
export function applyFill(
  position: { base: bigint; entryNotional: bigint },
  delta: bigint,
  price: bigint,
): { base: bigint; entryNotional: bigint; realizedPnl: bigint; fillNotional: bigint } {
  if (delta === 0n || price <= 0n) throw new MathOverflowError('fill');
  const fillNotional = notional(delta, price);
  if (position.base === 0n || position.base > 0n === delta > 0n) {
    // Ceil for both sides: a long's cost goes up, a short's (negative) proceeds shrink.
    const base = toI64(position.base + delta, 'size');
    const entryNotional = toI64(position.entryNotional + toI64(valueCeil(delta, price), 'value'), 'entry');
    return { base, entryNotional, realizedPnl: 0n, fillNotional };
  }
  const magnitude = (value: bigint) => (value < 0n ? -value : value);
  // The fill closes `closed` of the old position (signed like it), then opens the rest.
  const closed = magnitude(delta) >= magnitude(position.base) ? position.base : toI64(-delta, 'size');
  const released = mulDivCeil(position.entryNotional, closed, position.base);
  const realizedPnl = toI64(valueFloor(closed, price) - released, 'realized PnL');
  const remaining = {
    base: toI64(position.base - closed, 'size'),
    entryNotional: toI64(position.entryNotional - released, 'entry'),
  };
  const opened = toI64(delta + closed, 'size');
  const after = opened === 0n ? remaining : { base: opened, entryNotional: toI64(valueCeil(opened, price), 'entry') };
  return { ...after, realizedPnl, fillNotional };
}

/**
 * The account after a trade of `delta` base at `price` with the fee at `feeBps` (the core's
 * `ledger::projected_trade`): pass the account as `settledForMargin` (or `balancesOf(account, market)`) leaves it.
 * A realized loss comes out of collateral, a realized profit is added to the claim, the fee is charged up to the
 * collateral. Maintenance health and the liquidation price of the result are what the program's trade leaves,
 * unless the collateral is below the fee. It checks no limit: size, margin and open interest are the program's.
 */
export function projectedTrade(
  balances: Balances,
  delta: bigint,
  price: Price,
  params: { execConfScaleBps: number },
  feeBps: number,
): Balances {
  const fill = applyFill(balances, delta, executionPrice(price, delta > 0n, params.execConfScaleBps));
  let { collateral, unsettledPnl } = balances;
  if (fill.realizedPnl < 0n) collateral = toI64(collateral + fill.realizedPnl, 'collateral');
  else unsettledPnl = toU64(unsettledPnl + fill.realizedPnl, 'unsettled PnL');
  const payable = collateral > 0n ? collateral : 0n;
  const fee = takerFee(fill.fillNotional, feeBps);
  collateral = toI64(collateral - (fee < payable ? fee : payable), 'collateral');
  return { ...balances, base: fill.base, entryNotional: fill.entryNotional, collateral, unsettledPnl };
}
