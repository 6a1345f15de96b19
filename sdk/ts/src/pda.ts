// Every Backstop address a client derives, from the seeds the program publishes in its IDL (src/generated/constants,
// generated from idl/backstop.json; the program's seeds.rs is their one source). Ids are little-endian u16.
import {
  getAddressEncoder,
  getProgramDerivedAddress,
  getU16Encoder,
  type Address,
  type ProgramDerivedAddress,
} from '@solana/kit';
import * as seeds from './generated/constants';
import { BACKSTOP_PROGRAM_ADDRESS } from './generated/programs';

const address = getAddressEncoder();
const id = getU16Encoder();

function derive(parts: Uint8Array[], programAddress: Address): Promise<ProgramDerivedAddress> {
  return getProgramDerivedAddress({ programAddress, seeds: parts });
}

/** Where a deployment lives; the IDL's address by default. */
export type ProgramConfig = { programAddress?: Address };
const program = (config?: ProgramConfig) => config?.programAddress ?? BACKSTOP_PROGRAM_ADDRESS;

export const exchangeAddress = (config?: ProgramConfig) => derive([seeds.EXCHANGE], program(config));

export const insuranceFundAddress = (fundId: number, config?: ProgramConfig) =>
  derive([seeds.INSURANCE_FUND, new Uint8Array(id.encode(fundId))], program(config));

export const fundVaultAddress = (fund: Address, config?: ProgramConfig) =>
  derive([seeds.FUND_VAULT, new Uint8Array(address.encode(fund))], program(config));

export const marketAddress = (marketId: number, config?: ProgramConfig) =>
  derive([seeds.MARKET, new Uint8Array(id.encode(marketId))], program(config));

export const marketVaultAddress = (market: Address, config?: ProgramConfig) =>
  derive([seeds.MARKET_VAULT, new Uint8Array(address.encode(market))], program(config));

export const marketBookAddress = (market: Address, config?: ProgramConfig) =>
  derive([seeds.MARKET_BOOK, new Uint8Array(address.encode(market))], program(config));

export const marginAccountAddress = (market: Address, owner: Address, config?: ProgramConfig) =>
  derive(
    [seeds.MARGIN_ACCOUNT, new Uint8Array(address.encode(market)), new Uint8Array(address.encode(owner))],
    program(config),
  );

export const lpPositionAddress = (market: Address, owner: Address, config?: ProgramConfig) =>
  derive(
    [seeds.LP_POSITION, new Uint8Array(address.encode(market)), new Uint8Array(address.encode(owner))],
    program(config),
  );

export const stakePositionAddress = (fund: Address, owner: Address, config?: ProgramConfig) =>
  derive(
    [seeds.STAKE_POSITION, new Uint8Array(address.encode(fund)), new Uint8Array(address.encode(owner))],
    program(config),
  );

/** The PDA that signs the program's event CPIs (every instruction that emits takes it). */
export const eventAuthorityAddress = (config?: ProgramConfig) => derive([seeds.EVENT_AUTHORITY], program(config));
