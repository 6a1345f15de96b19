// The one account reader: any Backstop account's bytes to its typed fields, by its 8-byte discriminator, with the
// generated decoders (zero-copy layouts: `#[repr(C)]` with explicit padding, so the fields decode in order). Also
// the margin view a trading UI needs of a margin account (src/health.ts's inputs).
import { getAddressDecoder, type Address, type ReadonlyUint8Array } from '@solana/kit';
import {
  getExchangeDecoder,
  getInsuranceFundDecoder,
  getLpPositionDecoder,
  getMarginAccountDecoder,
  getMarketBookDecoder,
  getMarketBookSize,
  getMarketDecoder,
  getStakePositionDecoder,
  type Exchange,
  type InsuranceFund,
  type LpPosition,
  type MarginAccount,
  type Market,
  type MarketBook,
  type StakePosition,
} from './generated/accounts';
import { BackstopAccount, identifyBackstopAccount } from './generated/programs';
import { settledForMargin, type Balances, type MarginParams } from './health';

export type BackstopAccountData =
  | { kind: 'Exchange'; data: Exchange }
  | { kind: 'InsuranceFund'; data: InsuranceFund }
  | { kind: 'LpPosition'; data: LpPosition }
  | { kind: 'MarginAccount'; data: MarginAccount }
  | { kind: 'Market'; data: Market }
  | { kind: 'MarketBook'; data: MarketBook }
  /** A book still being grown (`initialize_market` creates it at 10 KiB, `extend_market_book` grows it): only its
   * header is written, and the market refuses to open until it is whole. */
  | { kind: 'MarketBookIncomplete'; market: Address; bump: number }
  | { kind: 'StakePosition'; data: StakePosition };

/** Decodes any account the program owns; throws on bytes that are none of its accounts. */
export function readAccount(data: ReadonlyUint8Array): BackstopAccountData {
  switch (identifyBackstopAccount(data)) {
    case BackstopAccount.Exchange:
      return { kind: 'Exchange', data: getExchangeDecoder().decode(data) };
    case BackstopAccount.InsuranceFund:
      return { kind: 'InsuranceFund', data: getInsuranceFundDecoder().decode(data) };
    case BackstopAccount.LpPosition:
      return { kind: 'LpPosition', data: getLpPositionDecoder().decode(data) };
    case BackstopAccount.MarginAccount:
      return { kind: 'MarginAccount', data: getMarginAccountDecoder().decode(data) };
    case BackstopAccount.Market:
      return { kind: 'Market', data: getMarketDecoder().decode(data) };
    case BackstopAccount.MarketBook:
      if (data.length < getMarketBookSize()) {
        // The header `initialize_market` writes: the market at byte 8, the bump at byte 40.
        return {
          kind: 'MarketBookIncomplete',
          market: getAddressDecoder().decode(data.subarray(8, 40)),
          bump: data[40],
        };
      }
      return { kind: 'MarketBook', data: getMarketBookDecoder().decode(data) };
    case BackstopAccount.StakePosition:
      return { kind: 'StakePosition', data: getStakePositionDecoder().decode(data) };
  }
}

/**
 * A margin account's balances as margin reads them. With its market (the account's own: `account.market` is its
 * address; the caller passes the account that lives there): as the program's next touch will leave them
 * (the socialized loss and the funding since the account's last touch applied, `settledForMargin`), which is what
 * the program's liquidation test reads. Without: as stored.
 */
export function balancesOf(account: MarginAccount, market?: Market): Balances {
  const { collateral, position, unsettledPnl, socialLossIndex, socialLossEpoch, fundingIndex } = account.balances;
  const stored: Balances = {
    collateral,
    base: position.base,
    entryNotional: position.entryNotional,
    unsettledPnl,
    socialLossIndex,
    socialLossEpoch,
    fundingIndex,
  };
  return market ? settledForMargin(stored, market.books) : stored;
}

/** The market parameters margin reads. */
export function marginParamsOf(market: Market): MarginParams {
  const { initialMarginBps, maintenanceMarginBps, unrealizedProfitCapBps } = market.params;
  return { initialMarginBps, maintenanceMarginBps, unrealizedProfitCapBps };
}
