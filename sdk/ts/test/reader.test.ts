// The reader and the error names without the binary: what a refusal is named by the failing instruction's program,
// and a market book still being grown read by its header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { address, getAddressEncoder } from '@solana/kit';
import { backstopError, backstopErrorCode } from '../src/errors';
import { readAccount } from '../src/accounts';
import { MARKET_BOOK_DISCRIMINATOR } from '../src/generated/accounts';
import { BACKSTOP_PROGRAM_ADDRESS } from '../src/generated/programs';

const SQUADS = address('SQDS4ep65T869zMMBKyuUq6aD6EgTu8psMjkvj52pCf');

test("a Backstop code is Backstop's only when Backstop's instruction failed", () => {
  const code = backstopErrorCode('NotLiquidatable');
  assert.deepEqual(backstopError(code, BACKSTOP_PROGRAM_ADDRESS)?.name, 'NotLiquidatable');
  // Squads numbers its errors from 6000 too: the same code from its instruction is not Backstop's.
  assert.equal(backstopError(code, SQUADS), null);
  assert.equal(backstopError(3012, BACKSTOP_PROGRAM_ADDRESS), null);
  assert.throws(() => backstopErrorCode('NoSuchError'));
});

test('a market book still being grown reads as its header', () => {
  // What initialize_market writes into the 10 KiB it creates: the discriminator, the market, the bump.
  const data = new Uint8Array(10_240);
  data.set(MARKET_BOOK_DISCRIMINATOR, 0);
  const market = address('Cwuhm5HMVGqHjGQqY6sAyBR8ndYwr54iyDRyYjzC7n2T');
  data.set(getAddressEncoder().encode(market), 8);
  data[40] = 254;
  assert.deepEqual(readAccount(data), { kind: 'MarketBookIncomplete', market, bump: 254 });
});
