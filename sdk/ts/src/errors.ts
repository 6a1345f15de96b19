// A failed transaction's Backstop error, by name: the program's custom error code (6000 + its position in the
// program's one list) mapped through the IDL's errors (src/generated/errorNames). Other Anchor programs number their
// errors from 6000 too (Squads among them), so a code is Backstop's only when Backstop's instruction failed.
import type { Address } from '@solana/kit';
import { ERROR_NAMES } from './generated/errorNames';
import { BACKSTOP_PROGRAM_ADDRESS } from './generated/programs';

export type BackstopErrorInfo = { code: number; name: string; message: string };

/**
 * The error of `code` raised by the instruction of `failingProgram` (the program of the instruction the
 * transaction error names), or `null` when that is another program, or the code is not one of Backstop's list.
 * `null` also for Anchor's own checks failing in Backstop (codes below 6000: e.g. 3012 `AccountNotInitialized`
 * for a margin account not created yet; Anchor's error list names them) and for a Backstop error raised inside
 * another program's instruction (a Squads execution: there the top-level failing program is Squads; its logs
 * name the inner program's error).
 */
export function backstopError(
  code: number,
  failingProgram: Address,
  programAddress: Address = BACKSTOP_PROGRAM_ADDRESS,
): BackstopErrorInfo | null {
  const known = ERROR_NAMES[code];
  return known && failingProgram === programAddress ? { code, ...known } : null;
}

/** The error's code for `name` (e.g. 'NotLiquidatable'), for asserting on a refusal. */
export function backstopErrorCode(name: string): number {
  for (const [code, info] of Object.entries(ERROR_NAMES)) {
    if (info.name === name) return Number(code);
  }
  throw new Error(`no Backstop error is named ${name}`);
}
