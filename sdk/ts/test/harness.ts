// The real program in LiteSVM (the `litesvm` npm package's native build): target/deploy/backstop.so (or
// BACKSTOP_SO), the real SPL Token program LiteSVM ships, and a Pyth legacy price account from the repository's
// fixture bytes (tests/fixtures/pyth: a real SOL/USD account) with only its price fields rewritten. Everything is
// sent as a wallet would: kit transaction messages, signed by the instructions' own signers.
import { FailedTransactionMetadata, LiteSVM, type TransactionMetadata } from 'litesvm';
import {
  appendTransactionMessageInstructions,
  createTransactionMessage,
  generateKeyPairSigner,
  getAddressEncoder,
  getCompiledTransactionMessageDecoder,
  getProgramDerivedAddress,
  lamports,
  pipe,
  setTransactionMessageFeePayerSigner,
  signTransactionMessageWithSigners,
  address,
  type Address,
  type Instruction,
  type KeyPairSigner,
} from '@solana/kit';
import { getCreateAccountInstruction } from '@solana-program/system';
import {
  getInitializeAccount3Instruction,
  getInitializeMint2Instruction,
  getMintSize,
  getMintToInstruction,
  getTokenDecoder,
  getTokenSize,
  TOKEN_PROGRAM_ADDRESS,
} from '@solana-program/token';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BACKSTOP_PROGRAM_ADDRESS } from '../src/generated/programs';
import { PYTH_LEGACY_PROGRAM_ID } from '../src/generated/constants';
import { readAccount } from '../src/accounts';
import { decodeEvents } from '../src/events';
import { backstopError, type BackstopErrorInfo } from '../src/errors';
import type { BackstopEvent } from '../src/generated/events';

const repository = (relative: string) => fileURLToPath(new URL(`../../../${relative}`, import.meta.url));
const LOADER_UPGRADEABLE = address('BPFLoaderUpgradeab1e11111111111111111111111');

/** Offsets in Pyth's legacy PriceAccount (pyth-sdk-solana's layout), and the fixture's exponent (-8). */
const LEGACY = { emaPrice: 48, emaConf: 72, timestamp: 96, aggPrice: 208, aggConf: 216 } as const;
/** A price in PRICE_PRECISION (10⁶) as the fixture's mantissa (10⁸). */
export const toOracleMantissa = (price: bigint) => price * 100n;

export type Sent = { meta: TransactionMetadata; events: BackstopEvent[] };

/** A transaction the program refused: its Backstop error by name, when it is one. */
export class Refused extends Error {
  constructor(
    readonly failure: FailedTransactionMetadata,
    readonly backstop: BackstopErrorInfo | null,
  ) {
    super(`refused: ${backstop ? backstop.name : failure.err().toString()}\n${failure.meta().prettyLogs()}`);
  }
}

/** The failed instruction's index and custom error code, if that is how the transaction failed. */
function instructionError(failure: FailedTransactionMetadata): { index: number; code: number } | null {
  const error: unknown = failure.err();
  if (typeof error !== 'object' || error === null || !('err' in error) || typeof error.err !== 'function') return null;
  if (!('index' in error) || typeof error.index !== 'number') return null;
  const inner: unknown = error.err();
  return typeof inner === 'object' && inner !== null && 'code' in inner && typeof inner.code === 'number'
    ? { index: error.index, code: inner.code }
    : null;
}

export class Vm {
  readonly svm = new LiteSVM();
  now = 1_750_000_000n;

  private constructor(
    readonly payer: KeyPairSigner,
    readonly oracle: Address,
    private readonly oracleBytes: Uint8Array,
  ) {}

  static async start(): Promise<Vm> {
    const program = process.env.BACKSTOP_SO ?? repository('target/deploy/backstop.so');
    if (!existsSync(program)) {
      throw new Error(`${program} is missing: build the program with scripts/build-sbf.sh (or set BACKSTOP_SO)`);
    }
    const payer = await generateKeyPairSigner();
    const oracle = (await generateKeyPairSigner()).address;
    const fixture = new Uint8Array(readFileSync(repository('tests/fixtures/pyth/legacy-sol-usd.bin')));
    const vm = new Vm(payer, oracle, fixture);
    vm.svm.addProgramFromFile(BACKSTOP_PROGRAM_ADDRESS, program);
    vm.svm.airdrop(payer.address, lamports(1_000_000_000_000n));
    vm.setClock(vm.now);
    return vm;
  }

  /** Sends `instructions` in one transaction paid by the payer; throws [`Refused`] with the error's name. */
  async send(instructions: Instruction[]): Promise<Sent> {
    // A fresh blockhash each time: a repeated instruction is never deduplicated.
    this.svm.expireBlockhash();
    const message = pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayerSigner(this.payer, m),
      (m) => this.svm.setTransactionMessageLifetimeUsingLatestBlockhash(m),
      (m) => appendTransactionMessageInstructions(instructions, m),
    );
    const transaction = await signTransactionMessageWithSigners(message);
    const result = this.svm.sendTransaction(transaction);
    const compiled = getCompiledTransactionMessageDecoder().decode(transaction.messageBytes);
    const keys = compiled.staticAccounts;
    if (result instanceof FailedTransactionMetadata) {
      const failed = instructionError(result);
      // Version-0 messages (the only kind sent here) list their instructions by program index.
      const instructions = 'instructions' in compiled ? compiled.instructions : [];
      const program = failed && keys[instructions[failed.index]?.programAddressIndex ?? -1];
      throw new Refused(result, failed && program ? backstopError(failed.code, program) : null);
    }
    const inner = result
      .innerInstructions()
      .flat()
      .map((entry) => ({
        programAddress: keys[entry.instruction().programIdIndex()],
        data: entry.instruction().data(),
      }));
    return { meta: result, events: decodeEvents(inner, BACKSTOP_PROGRAM_ADDRESS) };
  }

  setClock(unixTimestamp: bigint) {
    const clock = this.svm.getClock();
    clock.unixTimestamp = unixTimestamp;
    clock.slot += 1n;
    this.svm.setClock(clock);
    this.now = unixTimestamp;
  }

  /** Publishes `price` ± `conf` (PRICE_PRECISION) stamped now, EMAs alike (a settled price). */
  setPrice(price: bigint, conf: bigint) {
    const data = new Uint8Array(this.oracleBytes);
    const view = new DataView(data.buffer);
    for (const offset of [LEGACY.aggPrice, LEGACY.emaPrice]) view.setBigInt64(offset, toOracleMantissa(price), true);
    for (const offset of [LEGACY.aggConf, LEGACY.emaConf]) view.setBigUint64(offset, toOracleMantissa(conf), true);
    view.setBigInt64(LEGACY.timestamp, this.now, true);
    this.setRaw(this.oracle, data, PYTH_LEGACY_PROGRAM_ID);
  }

  private setRaw(at: Address, data: Uint8Array, owner: Address) {
    const rent = this.svm.minimumBalanceForRentExemption(BigInt(data.length));
    this.svm.setAccount({
      address: at,
      data,
      executable: false,
      lamports: lamports(rent),
      programAddress: owner,
      space: BigInt(data.length),
    });
  }

  /** LiteSVM deploys with no upgrade authority; a real deploy has one, and only it may create the exchange. Makes
   * the payer the authority (bincode ProgramData: tag u32, slot u64, Option<Pubkey> at byte 12). */
  async makePayerUpgradeAuthority(): Promise<Address> {
    const [programData] = await getProgramDerivedAddress({
      programAddress: LOADER_UPGRADEABLE,
      seeds: [getAddressEncoder().encode(BACKSTOP_PROGRAM_ADDRESS)],
    });
    const account = this.svm.getAccount(programData);
    if (!account.exists) throw new Error('no ProgramData account');
    const data = new Uint8Array(account.data);
    data[12] = 1;
    data.set(getAddressEncoder().encode(this.payer.address), 13);
    this.svm.setAccount({ ...account, data });
    return programData;
  }

  async createMint(authority: Address): Promise<Address> {
    const mint = await generateKeyPairSigner();
    const space = BigInt(getMintSize());
    await this.send([
      getCreateAccountInstruction({
        payer: this.payer,
        newAccount: mint,
        lamports: lamports(this.svm.minimumBalanceForRentExemption(space)),
        space,
        programAddress: TOKEN_PROGRAM_ADDRESS,
      }),
      getInitializeMint2Instruction({ mint: mint.address, decimals: 6, mintAuthority: authority }),
    ]);
    return mint.address;
  }

  async createTokenAccount(mint: Address, owner: Address): Promise<Address> {
    const account = await generateKeyPairSigner();
    const space = BigInt(getTokenSize());
    await this.send([
      getCreateAccountInstruction({
        payer: this.payer,
        newAccount: account,
        lamports: lamports(this.svm.minimumBalanceForRentExemption(space)),
        space,
        programAddress: TOKEN_PROGRAM_ADDRESS,
      }),
      getInitializeAccount3Instruction({ account: account.address, mint, owner }),
    ]);
    return account.address;
  }

  async mintTo(mint: Address, authority: KeyPairSigner, token: Address, amount: bigint) {
    await this.send([getMintToInstruction({ mint, token, mintAuthority: authority, amount })]);
  }

  /** A wallet with SOL for fees. */
  async wallet(): Promise<KeyPairSigner> {
    const wallet = await generateKeyPairSigner();
    this.svm.airdrop(wallet.address, lamports(10_000_000_000n));
    return wallet;
  }

  tokenBalance(token: Address): bigint {
    const account = this.svm.getAccount(token);
    if (!account.exists) throw new Error(`no token account at ${token}`);
    return getTokenDecoder().decode(account.data).amount;
  }

  /** Any Backstop account, decoded by the SDK's one reader. */
  read(at: Address) {
    const account = this.svm.getAccount(at);
    if (!account.exists) throw new Error(`no account at ${at}`);
    return readAccount(account.data);
  }

  /** `at` as an RPC's `getAccountInfo` gives it: owner program and bytes. */
  account(at: Address): { programAddress: Address; data: Uint8Array } | null {
    const account = this.svm.getAccount(at);
    return account.exists ? { programAddress: account.programAddress, data: new Uint8Array(account.data) } : null;
  }

  /** The raw bytes of `at`, to assert that a refused transaction changed nothing. */
  bytes(at: Address): Uint8Array | null {
    const account = this.svm.getAccount(at);
    return account.exists ? new Uint8Array(account.data) : null;
  }
}
