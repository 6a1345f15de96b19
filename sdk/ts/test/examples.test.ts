// The documented examples, run: the wallet flow against the real program, the Squads proposal by its bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as multisig from '@sqds/multisig';
import { Keypair, PublicKey } from '@solana/web3.js';
import { getBase64Encoder, getTransactionDecoder, partiallySignTransaction } from '@solana/kit';
import {
  balancesOf,
  getUpdateMarketParamsInstructionDataDecoder,
  liquidationPrice,
  marginParamsOf,
  projectedTrade,
  BACKSTOP_PROGRAM_ADDRESS,
} from '../src';
import { unsignedTrade } from '../examples/unsigned-trade';
import { proposeMarketParams } from '../examples/squads-governance';
import { DOLLAR, listed, ONE, seedFund, seedPool, testParams, trader, USDC } from './market';

test('a wallet signs the unsigned trade, the program takes it, and the preview named the fill', async () => {
  const l = await listed();
  await seedPool(l, 100_000n * USDC);
  await seedFund(l, 10_000n * USDC);
  const alice = await trader(l, 1_000n * USDC);
  const { transaction, preview } = await unsignedTrade({
    owner: alice.owner.address,
    marketId: 0,
    baseDelta: 30n * ONE,
    fetchAccount: async (at) => l.vm.account(at),
    lifetime: { blockhash: l.vm.svm.latestBlockhash(), lastValidBlockHeight: 1_000_000n },
  });
  assert.equal(preview.now.health.maintenanceEquity, 1_000n * USDC);
  assert.equal(preview.now.liquidationPrice, null);
  assert.equal(preview.publishTime, l.vm.now);
  assert.ok(preview.after.liquidationPrice !== null && preview.after.liquidationPrice > 60n * DOLLAR);

  // The wallet's part: decode, sign as the owner (also the fee payer), return.
  const unsigned = getTransactionDecoder().decode(getBase64Encoder().encode(transaction));
  assert.deepEqual(Object.keys(unsigned.signatures), [alice.owner.address]);
  assert.equal(unsigned.signatures[alice.owner.address], null);
  const signed = await partiallySignTransaction([alice.owner.keyPair], unsigned);
  const result = l.vm.svm.sendTransaction(signed as Parameters<typeof l.vm.svm.sendTransaction>[0]);
  assert.ok(!('err' in result), `${result}`);

  // The fill is the preview's to the atom; the fee at most the highest rate the preview charged (30 bps of $3,000
  // against the 5 bps charged here: the liquidation price shown is $0.26 on the safe side).
  const market = l.vm.read(l.market);
  const account = l.vm.read(alice.marginAccount);
  assert.ok(market.kind === 'Market' && account.kind === 'MarginAccount');
  const landed = balancesOf(account.data, market.data);
  assert.deepEqual([landed.base, landed.entryNotional], [30n * ONE, 30n * (100n * DOLLAR + DOLLAR / 100n)]);
  const previewed = liquidationPrice(
    projectedTrade(
      { ...landed, base: 0n, entryNotional: 0n, collateral: 1_000n * USDC },
      30n * ONE,
      preview.price,
      market.data.params,
      market.data.params.feeCapBps,
    ),
    marginParamsOf(market.data),
    preview.price.conf,
  );
  assert.equal(previewed, preview.after.liquidationPrice);
  const actual = liquidationPrice(landed, marginParamsOf(market.data), preview.price.conf);
  assert.ok(actual !== null && actual <= previewed! && previewed! - actual < DOLLAR, `${actual} ${previewed}`);

  // A lying RPC: a market account owned by another program is refused before anything is built.
  await assert.rejects(
    unsignedTrade({
      owner: alice.owner.address,
      marketId: 0,
      baseDelta: ONE,
      fetchAccount: async (at) => {
        const real = l.vm.account(at);
        return at === l.market && real ? { ...real, programAddress: alice.owner.address } : real;
      },
      lifetime: { blockhash: l.vm.svm.latestBlockhash(), lastValidBlockHeight: 1_000_000n },
    }),
    /not the program's/,
  );
});

test("a Squads proposal carries update_market_params signed by the multisig's vault", async () => {
  const createKey = Keypair.generate().publicKey;
  const [multisigPda] = multisig.getMultisigPda({ createKey });
  const [vault] = multisig.getVaultPda({ multisigPda, index: 0 });
  const member = Keypair.generate().publicKey;
  const params = { ...testParams(), takerFeeBps: 7 };
  const instructions = await proposeMarketParams({
    multisigPda,
    transactionIndex: 1n,
    member,
    marketId: 0,
    params,
    recentBlockhash: PublicKey.default.toBase58(),
  });
  assert.equal(instructions.length, 3);
  for (const instruction of instructions) assert.ok(instruction.programId.equals(multisig.PROGRAM_ID));

  const [create] = multisig.generated.vaultTransactionCreateStruct.deserialize(instructions[0].data);
  const [message] = multisig.types.transactionMessageBeet.deserialize(Buffer.from(create.args.transactionMessage));
  assert.equal(message.instructions.length, 1);
  const inner = message.instructions[0];
  assert.equal(message.accountKeys[inner.programIdIndex].toBase58(), BACKSTOP_PROGRAM_ADDRESS);
  // The vault pays and signs (the first signer), and is the instruction's authority.
  assert.ok(message.accountKeys[0].equals(vault));
  assert.equal(message.numSigners, 1);
  const decoded = getUpdateMarketParamsInstructionDataDecoder().decode(Uint8Array.from(inner.data));
  assert.equal(decoded.params.takerFeeBps, 7);
  for (const [name, value] of Object.entries(params)) {
    assert.equal(BigInt(decoded.params[name as keyof typeof decoded.params]), BigInt(value), name);
  }
});
