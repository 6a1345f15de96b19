// What a trading front end does: build an unsigned `trade` transaction for the user's wallet to sign, with the
// account's health and liquidation price, now and after the trade, to show beside the button. The wallet (any
// Wallet Standard wallet's `signTransaction`) adds the only signature, the owner's, who also pays the fee; nothing
// here holds a key.
//
//   const { transaction, preview } = await unsignedTrade({ owner, marketId: 0, baseDelta: 2n * 10n ** 9n,
//     fetchAccount: async (a) => { const x = await fetchEncodedAccount(rpc, a); return x.exists ? x : null; },
//     lifetime: (await rpc.getLatestBlockhash().send()).value });
//   // → hand `transaction` (base64 wire bytes) to the wallet, then send what it returns.
//
// test/examples.test.ts runs it against the real program: the wallet's signature is the only one it needs.
import {
  appendTransactionMessageInstructions,
  compileTransaction,
  createNoopSigner,
  createTransactionMessage,
  getBase64EncodedWireTransaction,
  pipe,
  setTransactionMessageFeePayer,
  setTransactionMessageLifetimeUsingBlockhash,
  type Address,
  type Base64EncodedWireTransaction,
  type Blockhash,
} from '@solana/kit';
import { getSetComputeUnitLimitInstruction, getSetComputeUnitPriceInstruction } from '@solana-program/compute-budget';
import {
  balancesOf,
  eventAuthorityAddress,
  getTradeInstruction,
  health,
  liquidationPrice,
  marginAccountAddress,
  marginParamsOf,
  marketAddress,
  marketBookAddress,
  projectedTrade,
  readAccount,
  BACKSTOP_PROGRAM_ADDRESS,
  type BackstopAccountData,
  type Health,
} from '../src';

export type UnsignedTrade = {
  /** The transaction, unsigned, as wire bytes in base64: what a wallet's `signTransaction` takes. */
  transaction: Base64EncodedWireTransaction;
  /**
   * What the UI shows beside the button, at the market's last oracle price (`price`, the last print the program
   * absorbed: a trade, a refresh or any instruction reading the oracle moves it; a UI with a fresher print from
   * its own feed passes that instead). `now` is the account as the program's next touch will leave it; `after`
   * is the account once the trade fills at that price, with the fee at the market's highest rate: the fill
   * itself is at the oracle print when the transaction lands (a trade carries no limit price).
   */
  preview: {
    price: { price: bigint; conf: bigint };
    /** When the market's last print was published (Unix seconds), or null for a price the UI passed: a UI shows
     * its age, since the fill is at the print current when the transaction lands. */
    publishTime: bigint | null;
    now: { health: Health; liquidationPrice: bigint | null };
    after: { health: Health; liquidationPrice: bigint | null };
  };
  /** For confirming: the blockhash's last valid block height. */
  lastValidBlockHeight: bigint;
};

/** An account as an RPC's `getAccountInfo` gives it: its owner program and its bytes (null when it does not exist). */
export type FetchedAccount = { programAddress: Address; data: Uint8Array } | null;

export async function unsignedTrade(request: {
  owner: Address;
  marketId: number;
  /** Signed size to trade: > 0 buys. precision: BASE_PRECISION. */
  baseDelta: bigint;
  fetchAccount: (address: Address) => Promise<FetchedAccount>;
  lifetime: { blockhash: Blockhash; lastValidBlockHeight: bigint };
  /** A fresher print than the market's last (PRICE_PRECISION), from the UI's own price feed. */
  price?: { price: bigint; conf: bigint };
  /** The compute-unit price bid for priority, in micro-lamports (0: none). */
  microLamportsPerUnit?: bigint;
}): Promise<UnsignedTrade> {
  const [market] = await marketAddress(request.marketId);
  const [marginAccount] = await marginAccountAddress(market, request.owner);
  const [marketBook] = await marketBookAddress(market);
  const [eventAuthority] = await eventAuthorityAddress();
  // The RPC is not trusted further than it must be: both accounts must be the program's, the right kinds and each
  // other's. (The transaction itself only takes addresses derived here, or the market's oracle and fund, which the
  // program checks against the market: a lying RPC can make the preview wrong, never the trade.)
  const marketState = readOwned(await request.fetchAccount(market), 'Market');
  const account = readOwned(await request.fetchAccount(marginAccount), 'MarginAccount');
  if (account.owner !== request.owner || account.market !== market) throw new Error("not this owner's margin account");

  const params = marginParamsOf(marketState);
  const price = request.price ?? { price: marketState.lastOraclePrice, conf: marketState.lastOracleConf };
  const now = balancesOf(account, marketState);
  const after = projectedTrade(now, request.baseDelta, price, marketState.params, marketState.params.feeCapBps);
  // Liquidation prices with the print's confidence held: margin values a long at price − conf.
  const preview = {
    price,
    publishTime: request.price ? null : marketState.lastOraclePublishTime,
    now: { health: health(now, price, params), liquidationPrice: liquidationPrice(now, params, price.conf) },
    after: { health: health(after, price, params), liquidationPrice: liquidationPrice(after, params, price.conf) },
  };

  // The owner signs in the wallet: here it is only an address behind a signer that signs nothing.
  const owner = createNoopSigner(request.owner);
  const trade = getTradeInstruction({
    market,
    marginAccount,
    marketBook,
    owner,
    oracle: marketState.oracle,
    insuranceFund: marketState.insuranceFund,
    eventAuthority,
    program: BACKSTOP_PROGRAM_ADDRESS,
    baseDelta: request.baseDelta,
  });
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayer(request.owner, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(request.lifetime, m),
    // A trade measures at most 9,984 compute units on the production preset (docs/sbf-and-compute-units.md);
    // the limit leaves half again for a breaker's event and layout drift, and is what a priority price is paid on.
    (m) =>
      appendTransactionMessageInstructions(
        [
          getSetComputeUnitLimitInstruction({ units: 15_000 }),
          ...(request.microLamportsPerUnit
            ? [getSetComputeUnitPriceInstruction({ microLamports: request.microLamportsPerUnit })]
            : []),
          trade,
        ],
        m,
      ),
  );
  return {
    transaction: getBase64EncodedWireTransaction(compileTransaction(message)),
    preview,
    lastValidBlockHeight: request.lifetime.lastValidBlockHeight,
  };
}

type AccountData = { [A in BackstopAccountData as A['kind']]: A extends { data: infer D } ? D : never };

function readOwned<K extends 'Market' | 'MarginAccount'>(fetched: FetchedAccount, kind: K): AccountData[K] {
  if (!fetched) throw new Error(`no ${kind}: create it first`);
  if (fetched.programAddress !== BACKSTOP_PROGRAM_ADDRESS) throw new Error(`the ${kind} is not the program's`);
  const decoded = readAccount(fetched.data);
  if (decoded.kind !== kind || !('data' in decoded)) throw new Error(`not a ${kind}`);
  return decoded.data as AccountData[K];
}
