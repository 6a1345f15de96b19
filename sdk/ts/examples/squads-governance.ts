// Governance through a Squads v4 multisig: in production the exchange's authority is a Squads vault (a PDA of the
// Squads program), so every governance instruction is proposed, approved by the members' threshold, and executed
// by Squads signing as the vault. This builds the three instructions a member sends to propose a market parameter
// change: the vault transaction holding Backstop's `update_market_params` (signed by the vault), the proposal, and
// the member's own approval. Executing needs the Squads program itself, which this repository cannot load (no
// registry it builds from ships the binary): test/examples.test.ts checks the proposal's bytes, not its execution.
//
// @sqds/multisig is written for @solana/web3.js 1.x; Backstop's instruction, built with the SDK on @solana/kit, is
// carried across by `toWeb3Instruction`.
import * as multisig from '@sqds/multisig';
import { PublicKey, TransactionInstruction, TransactionMessage } from '@solana/web3.js';
import { AccountRole, address, createNoopSigner, type Instruction } from '@solana/kit';
import {
  eventAuthorityAddress,
  exchangeAddress,
  getUpdateMarketParamsInstruction,
  marketAddress,
  BACKSTOP_PROGRAM_ADDRESS,
  type MarketParamsArgs,
} from '../src';

/** A kit instruction as web3.js 1.x writes one. */
export function toWeb3Instruction(instruction: Instruction): TransactionInstruction {
  return new TransactionInstruction({
    programId: new PublicKey(instruction.programAddress),
    keys: (instruction.accounts ?? []).map((meta) => ({
      pubkey: new PublicKey(meta.address),
      isSigner: meta.role === AccountRole.READONLY_SIGNER || meta.role === AccountRole.WRITABLE_SIGNER,
      isWritable: meta.role === AccountRole.WRITABLE || meta.role === AccountRole.WRITABLE_SIGNER,
    })),
    data: Buffer.from(instruction.data ?? new Uint8Array()),
  });
}

export async function proposeMarketParams(request: {
  /** The multisig account (Squads' `getMultisigPda` of its create key). */
  multisigPda: PublicKey;
  /** The multisig's next transaction index (its `transactionIndex` + 1). */
  transactionIndex: bigint;
  /** A member with the Initiate and Vote permissions, who sends and pays. */
  member: PublicKey;
  marketId: number;
  params: MarketParamsArgs;
  recentBlockhash: string;
}): Promise<TransactionInstruction[]> {
  const { multisigPda, transactionIndex, member } = request;
  // Vault 0 is the exchange's governance authority.
  const [vault] = multisig.getVaultPda({ multisigPda, index: 0 });
  const [exchange] = await exchangeAddress();
  const [market] = await marketAddress(request.marketId);
  const [eventAuthority] = await eventAuthorityAddress();
  const update = getUpdateMarketParamsInstruction({
    exchange,
    // The vault signs when Squads executes; here it only has to be named as the signer.
    authority: createNoopSigner(address(vault.toBase58())),
    market,
    eventAuthority,
    program: BACKSTOP_PROGRAM_ADDRESS,
    params: request.params,
  });
  const transactionMessage = new TransactionMessage({
    payerKey: vault,
    recentBlockhash: request.recentBlockhash,
    instructions: [toWeb3Instruction(update)],
  });
  return [
    multisig.instructions.vaultTransactionCreate({
      multisigPda,
      transactionIndex,
      creator: member,
      vaultIndex: 0,
      ephemeralSigners: 0,
      transactionMessage,
      memo: `Backstop: update market ${request.marketId}'s parameters`,
    }),
    multisig.instructions.proposalCreate({ multisigPda, transactionIndex, creator: member }),
    multisig.instructions.proposalApprove({ multisigPda, transactionIndex, member }),
  ];
}
