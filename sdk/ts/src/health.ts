// Margin health and liquidation price, as the program decides them: a line-for-line port of the Rust core's
// `backstop_math::margin` (and the position and price helpers it uses), in bigint, with the same rounding and the
// same overflow refusals. test/health.test.ts checks every case of the core's own fixture file to the atom, and
// test/program.test.ts checks the answer against the program's liquidation.
//
// Precisions (the IDL's constants): amounts QUOTE_PRECISION (10⁶), sizes BASE_PRECISION (10⁹), prices
// PRICE_PRECISION (10⁶), ratios in basis points.
import {
  BASE_PRECISION,
  BPS_DENOMINATOR,
  FUNDING_INDEX_PRECISION,
  PRICE_PRECISION,
  SOCIAL_INDEX_ONE,
} from './generated/constants';
import { divCeil, i128, mulDivCeil, mulDivFloor, notional, toI64, toU64, valueFloor } from './fixed';

export { divCeil, divFloor, MathOverflowError, notional, OracleUncertainError } from './fixed';

/** What margin reads of an account (its `TraderBalances`), and what its touch reads to bring it up to date. */
export type Balances = {
  /** precision: QUOTE_PRECISION. */
  collateral: bigint;
  /** Signed size, > 0 long. precision: BASE_PRECISION. */
  base: bigint;
  /** Signed like `base`. precision: QUOTE_PRECISION. */
  entryNotional: bigint;
  /** precision: QUOTE_PRECISION. */
  unsettledPnl: bigint;
  /** The market's socialized-loss index and epoch at the account's last touch (0 stands for SOCIAL_INDEX_ONE). */
  socialLossIndex: bigint;
  socialLossEpoch: bigint;
  /** The market's funding index at the account's last touch. precision: FUNDING_INDEX_PRECISION. */
  fundingIndex: bigint;
};

/** What a touch reads of the market (its `MarketLedger`'s socialized-loss and funding indexes). */
export type MarketIndexes = {
  socialLossIndex: bigint;
  socialLossEpoch: bigint;
  socialLossCarryIndex: bigint;
  cumulativeFundingIndex: bigint;
};

/** The market parameters margin reads. */
export type MarginParams = {
  initialMarginBps: number;
  maintenanceMarginBps: number;
  unrealizedProfitCapBps: number;
};

/** An oracle price and its confidence. precision: PRICE_PRECISION. */
export type Price = { price: bigint; conf: bigint };

export type Health = {
  maintenanceEquity: bigint;
  initialEquity: bigint;
  maintenanceRequirement: bigint;
  initialRequirement: bigint;
};

/** Unrealized PnL at `price`, rounded against the holder. precision: QUOTE_PRECISION. */
export function unrealizedPnl(balances: Balances, price: bigint): bigint {
  return toI64(valueFloor(balances.base, price) - balances.entryNotional, 'unrealized PnL');
}

/** The side of the confidence interval that hurts the holder: lower for a long, higher for a short. */
export function marginPrice(price: Price, base: bigint): bigint {
  return toI64(base >= 0n ? price.price - price.conf : price.price + price.conf, 'margin price');
}

/** notional × ratio, rounded up. precision: QUOTE_PRECISION. */
export function marginRequirement(base: bigint, price: bigint, ratioBps: number): bigint {
  return toU64(mulDivCeil(notional(base, price), BigInt(ratioBps), BPS_DENOMINATOR), 'requirement');
}

/** Equity at the conservative price, in full and with profit capped at a share of collateral (initial margin). */
function equities(balances: Balances, price: Price, params: MarginParams): [bigint, bigint] {
  const unrealized = unrealizedPnl(balances, marginPrice(price, balances.base));
  const profit = unrealized + balances.unsettledPnl;
  const collateral = balances.collateral;
  const positive = collateral > 0n ? collateral : 0n;
  const cap = mulDivFloor(positive, BigInt(params.unrealizedProfitCapBps), BPS_DENOMINATOR);
  const counted = profit <= 0n ? profit : profit < cap ? profit : cap;
  return [collateral + profit, collateral + counted];
}

const orOne = (index: bigint) => (index === 0n ? SOCIAL_INDEX_ONE : index);

/** The account's collateral after the socialized loss since its last touch (the core's `apply_social_loss`). */
function applySocialLoss(balances: Balances, market: MarketIndexes): Balances {
  const [index, epoch] = [orOne(market.socialLossIndex), market.socialLossEpoch];
  const current = orOne(balances.socialLossIndex) === index && balances.socialLossEpoch === epoch;
  let collateral = balances.collateral;
  if (collateral > 0n && !current) {
    // The index the account's epoch reached (or has reached so far), and how it has scaled since.
    const [reached, thenNow] =
      balances.socialLossEpoch === epoch
        ? [index, SOCIAL_INDEX_ONE]
        : balances.socialLossEpoch + 1n === epoch
          ? [market.socialLossCarryIndex, index]
          : [0n, SOCIAL_INDEX_ONE];
    const inEpoch = mulDivFloor(collateral, reached, orOne(balances.socialLossIndex));
    const scaled = thenNow === SOCIAL_INDEX_ONE ? inEpoch : mulDivFloor(inEpoch, thenNow, SOCIAL_INDEX_ONE);
    collateral = toI64(scaled, 'collateral');
  }
  return { ...balances, collateral, socialLossIndex: index, socialLossEpoch: epoch };
}

/** Funding a position owes between two index readings, rounded against the holder (the core's `funding_owed`). */
export function fundingOwed(base: bigint, indexThen: bigint, indexNow: bigint): bigint {
  if (base === 0n || indexThen === indexNow) return 0n;
  const owed = i128(base * (indexNow - indexThen), 'funding');
  return toI64(divCeil(owed, BASE_PRECISION * FUNDING_INDEX_PRECISION), 'funding');
}

/**
 * The account as margin will see it at its next touch (the core's `ledger::settled_for_margin`): the socialized
 * loss since its last touch applied and the funding since then settled, at the market's funding index as stored.
 * Maintenance health, `isLiquidatable` and `liquidationPrice` of the result are the program's exactly; initial
 * figures can differ by how much of a claim the pool would pay into collateral. The market's funding index is as of
 * its last oracle read: any trade or `refresh_market` brings it to that moment.
 */
export function settledForMargin(balances: Balances, market: MarketIndexes): Balances {
  const after = applySocialLoss(balances, market);
  const owed = fundingOwed(after.base, after.fundingIndex, market.cumulativeFundingIndex);
  const settled = { ...after, fundingIndex: market.cumulativeFundingIndex };
  return owed > 0n
    ? { ...settled, collateral: toI64(after.collateral - owed, 'collateral') }
    : { ...settled, unsettledPnl: toU64(after.unsettledPnl - owed, 'unsettled PnL') };
}

/** Health against `price` (the core's `TraderBalances::health`). */
export function health(balances: Balances, price: Price, params: MarginParams): Health {
  const [full, capped] = equities(balances, price, params);
  return {
    maintenanceEquity: toI64(full, 'equity'),
    initialEquity: toI64(capped, 'equity'),
    maintenanceRequirement: marginRequirement(balances.base, price.price, params.maintenanceMarginBps),
    initialRequirement: marginRequirement(balances.base, price.price, params.initialMarginBps),
  };
}

export const meetsInitial = (h: Health) => h.initialEquity >= h.initialRequirement;
export const meetsMaintenance = (h: Health) => h.maintenanceEquity >= h.maintenanceRequirement;

/** Below maintenance margin at `price`, with a position: what `liquidate` requires. */
export function isLiquidatable(balances: Balances, price: Price, params: MarginParams): boolean {
  return balances.base !== 0n && !meetsMaintenance(health(balances, price, params));
}

/**
 * The oracle price at which the account becomes liquidatable, with the confidence interval held at `conf` (the
 * print's, for a UI: margin values a position at the side of the interval that hurts it, so a wider interval
 * brings liquidation closer): for a long the highest liquidatable price (the next one up is not), for a short the
 * lowest (the next one down is not); `null` when flat or for a long no positive price liquidates. The core's
 * `TraderBalances::liquidation_price`, by the same bisection. precision: PRICE_PRECISION.
 */
export function liquidationPrice(balances: Balances, params: MarginParams, conf: bigint = 0n): bigint | null {
  if (balances.base === 0n) return null;
  const long = balances.base > 0n;
  const liquidatable = (price: bigint) => isLiquidatable(balances, { price, conf }, params);
  let inside = 1n;
  let outside = PRICE_PRECISION;
  if (long !== liquidatable(1n)) return long ? null : 1n;
  while (liquidatable(outside) === long) {
    outside = toI64(outside * 2n, 'price');
  }
  if (!long) [inside, outside] = [outside, inside];
  for (;;) {
    const gap = inside > outside ? inside - outside : outside - inside;
    if (gap <= 1n) return inside;
    const middle = (inside < outside ? inside : outside) + gap / 2n;
    if (liquidatable(middle)) inside = middle;
    else outside = middle;
  }
}
