// Backstop's fixed-point arithmetic in bigint, as the Rust core's `safe_math` and `position` do it: i128
// intermediates, divisions that name their rounding, and the same refusals where a value leaves its integer type
// (MathOverflowError, the core's `MathError::Overflow`).
import { BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION } from './generated/constants';

/** |base| × price / NOTIONAL_DIVISOR is a quote amount. */
export const NOTIONAL_DIVISOR = (BASE_PRECISION * PRICE_PRECISION) / QUOTE_PRECISION;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const U64_MAX = (1n << 64n) - 1n;
const I128_MIN = -(1n << 127n);
const I128_MAX = (1n << 127n) - 1n;

/** The core's `MathError::Overflow`: a result the program would refuse to compute. */
export class MathOverflowError extends Error {
  constructor(what: string) {
    super(`overflow: ${what}`);
    this.name = 'MathOverflowError';
  }
}

/** The core's `MathError::OracleUncertain`: the confidence interval leaves no positive price to fill at. */
export class OracleUncertainError extends Error {
  constructor() {
    super('oracle uncertain: the fill price would not be positive');
    this.name = 'OracleUncertainError';
  }
}

export function checked(value: bigint, min: bigint, max: bigint, what: string): bigint {
  if (value < min || value > max) throw new MathOverflowError(what);
  return value;
}
export const i128 = (value: bigint, what: string) => checked(value, I128_MIN, I128_MAX, what);
export const toI64 = (value: bigint, what: string) => checked(value, I64_MIN, I64_MAX, what);
export const toU64 = (value: bigint, what: string) => checked(value, 0n, U64_MAX, what);

/** Signed division rounded toward −∞ (bigint division truncates toward zero). */
export function divFloor(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new Error('division by zero');
  const quotient = numerator / denominator;
  const inexact = quotient * denominator !== numerator;
  return inexact && numerator < 0n !== denominator < 0n ? quotient - 1n : quotient;
}

/** Signed division rounded toward +∞. */
export function divCeil(numerator: bigint, denominator: bigint): bigint {
  return -divFloor(-numerator, denominator);
}

export const mulDivFloor = (value: bigint, numerator: bigint, denominator: bigint) =>
  divFloor(i128(value * numerator, 'product'), denominator);
export const mulDivCeil = (value: bigint, numerator: bigint, denominator: bigint) =>
  divCeil(i128(value * numerator, 'product'), denominator);

/** |base| × price, rounded up. precision: QUOTE_PRECISION. */
export function notional(base: bigint, price: bigint): bigint {
  const size = toI64(base < 0n ? -base : base, 'size');
  return toU64(valueCeil(size, price), 'notional');
}

/** Signed quote value of `base` at `price`, rounded down (the core's `value_floor`). precision: QUOTE_PRECISION. */
export const valueFloor = (base: bigint, price: bigint) => divFloor(i128(base * price, 'value'), NOTIONAL_DIVISOR);

/** Signed quote value of `base` at `price`, rounded up (the core's `value_ceil`). precision: QUOTE_PRECISION. */
export const valueCeil = (base: bigint, price: bigint) => divCeil(i128(base * price, 'value'), NOTIONAL_DIVISOR);
