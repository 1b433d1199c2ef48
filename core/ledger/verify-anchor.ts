// The chain half of `custody proof verify --rpc` (docs/anchoring.md): reads the ProvenanceRegistry, read-only, and
// confirms that the proof's checkpoint root was registered in the log named by the checkpoint's origin, at the
// checkpoint's tree size, for the pinned hub key, by the transaction and in the block the proof names. The contract
// only accepts a log's batches from that log's registered anchoring key, so a batch found there was sent by the
// tenant's key. Each way it can fail has its own code. A registry of version 2 takes a log's batches only along one
// append-only history (each with a consistency proof from the log's latest root), so a root found there rules out a
// split view; an older registry does not, and the answer says so (consistencyChecked false) without failing.
import { FetchRequest, getAddress, JsonRpcProvider, Network, type TransactionReceipt } from 'ethers';
import { CustodyError } from '../errors.ts';
import type { Checkpoint } from '../tlog/checkpoint.ts';
import type { ChainRef } from '../tlog/proof-file.ts';
import { logIdOf, readBatch, registryAt, registryVersion, REGISTRY_INTERFACE, REGISTRY_VERSION, type ChainBatch } from './registry.ts';

export interface AnchorCheck {
  ref: ChainRef;
  logId: string;
  batch: ChainBatch;
  /** The block's time as the chain reports it, ISO-8601. */
  blockTime: string;
  /**
   * The registry checks each batch's consistency with the log's latest (VERSION 2 or later), so every root it holds
   * for this log is on one history: no other verifier can have been shown a proof to a diverging root. False for a
   * registry deployed before that: the root is registered, but a split view is not ruled out.
   */
  consistencyChecked: boolean;
}

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;

/** Any failure to talk to the node (not a contract answer) is CHAIN_UNREACHABLE. */
async function ask<T>(rpc: string, what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof CustodyError) throw e;
    throw new CustodyError('CHAIN_UNREACHABLE', `expected the JSON-RPC endpoint ${rpc} to answer ${what}, got: ${(e as Error).message.slice(0, 200)}`, undefined, { cause: e });
  }
}

/** The address as ethers' getAddress gives it (checksummed), or the error `bad` makes when ethers refuses it. */
function addressOf(a: string, bad: () => CustodyError): string {
  try {
    return getAddress(a);
  } catch {
    throw bad();
  }
}

/** An ISO-8601 date and time with its zone (Z or ±hh:mm), as the hub writes a block's time. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Whether `iso` names the instant `unixSeconds` (a block's timestamp). */
function sameInstant(iso: string, unixSeconds: number): boolean {
  return ISO_INSTANT.test(iso) && Date.parse(iso) === unixSeconds * 1000;
}

export async function verifyAnchor(
  proof: { checkpoint: Checkpoint; chain: ChainRef | null },
  o: { rpc: string; hubPublicKey: Uint8Array; contract?: string; timeoutMs?: number },
): Promise<AnchorCheck> {
  const ref = proof.chain;
  if (!ref) throw new CustodyError('ANCHOR_MISSING', 'expected the proof to name the transaction that anchored its checkpoint, got no chain section: the checkpoint is not on chain (yet); fetch the proof again once it is');
  const pinned = o.contract ? addressOf(o.contract, () => new CustodyError('INVALID_ARGUMENT', `expected the registry's address (0x and 40 hex digits, with a right EIP-55 checksum if in mixed case), got ${JSON.stringify(o.contract)}`)) : null;
  // The proof's address is the hub's word: one ethers refuses (a wrong EIP-55 checksum) is this reference's fault, a
  // CustodyError like any other mismatch, never a plain TypeError that would end a caller's run over many references.
  const contract = addressOf(ref.contract, () => new CustodyError('PROOF_MALFORMED', `expected the proof's registry address to be 0x and 40 hex digits, all lower case, all upper case or with a right EIP-55 checksum, got ${JSON.stringify(ref.contract)}`));
  if (pinned !== null && pinned !== contract) throw new CustodyError('ANCHOR_WRONG_CHAIN', `expected the registry you pinned, ${pinned}, got a proof naming ${ref.contract}`);
  const network = Network.from(ref.chainId);
  const request = new FetchRequest(o.rpc);
  request.timeout = o.timeoutMs ?? 15_000;
  const provider = new JsonRpcProvider(request, network, { staticNetwork: network, cacheTimeout: -1 });
  try {
    const id = Number(await ask(o.rpc, 'eth_chainId', () => provider.send('eth_chainId', [])));
    if (id !== ref.chainId) throw new CustodyError('ANCHOR_WRONG_CHAIN', `expected chain ${ref.chainId} as the proof names, got chain ${id} at ${o.rpc}`);
    if ((await ask(o.rpc, 'eth_getCode', () => provider.getCode(contract))) === '0x') {
      throw new CustodyError('ANCHOR_WRONG_CHAIN', `expected the ProvenanceRegistry at ${ref.contract} on chain ${id}, got no contract there`);
    }
    const logId = logIdOf(proof.checkpoint.origin);
    const root = hex(proof.checkpoint.root);
    const batch = await ask(o.rpc, 'getBatch', () => readBatch(registryAt(contract, provider), logId, root));
    if (!batch) throw new CustodyError('ANCHOR_MISSING', `expected the registry ${ref.contract} to hold root ${root} in log ${logId} (${proof.checkpoint.origin}), got no such batch`);
    if (batch.treeSize !== proof.checkpoint.size) {
      throw new CustodyError('ANCHOR_MISMATCH', `expected the root to be registered at tree size ${proof.checkpoint.size}, got tree size ${batch.treeSize} on chain`);
    }
    if (batch.signerKey.toLowerCase() !== hex(o.hubPublicKey)) {
      throw new CustodyError('ANCHOR_MISMATCH', `expected the batch to name the pinned hub key ${hex(o.hubPublicKey)} as its signer, got ${batch.signerKey}`);
    }
    if (batch.blockNumber !== ref.block) throw new CustodyError('ANCHOR_MISMATCH', `expected the batch in block ${ref.block} as the proof says, got block ${batch.blockNumber}`);
    const receipt: TransactionReceipt | null = await ask(o.rpc, 'the transaction receipt', () => provider.getTransactionReceipt(ref.tx));
    const registered = receipt?.logs.some((l) => {
      if (getAddress(l.address) !== contract) return false;
      const ev = REGISTRY_INTERFACE.parseLog(l);
      return ev?.name === 'BatchRegistered' && ev.args[0] === logId && ev.args[1] === root && Number(ev.args[2]) === proof.checkpoint.size;
    });
    if (!receipt || receipt.status !== 1 || receipt.blockNumber !== ref.block || !registered) {
      throw new CustodyError('ANCHOR_MISMATCH', `expected transaction ${ref.tx} in block ${ref.block} to register this batch, got ${receipt ? `a transaction in block ${receipt.blockNumber} that does not` : 'no such transaction'}`);
    }
    const block = await ask(o.rpc, 'the block', () => provider.getBlock(ref.block));
    if (!block) throw new CustodyError('CHAIN_UNREACHABLE', `expected the JSON-RPC endpoint ${o.rpc} to answer block ${ref.block}, which holds the transaction, got no block`);
    const blockTime = new Date(block.timestamp * 1000).toISOString();
    // The time is the hub's word too: shown as when the record was anchored, it must be the block's (the hub's
    // anchoring worker writes exactly this ISO string; any ISO-8601 form of the same instant is taken).
    if (ref.timestamp !== null && !sameInstant(ref.timestamp, block.timestamp)) {
      throw new CustodyError('ANCHOR_MISMATCH', `expected the time of block ${ref.block}, ${blockTime}, as the proof's time, got ${JSON.stringify(ref.timestamp)}`);
    }
    const version = await ask(o.rpc, 'VERSION', () => registryVersion(registryAt(contract, provider)));
    return { ref, logId, batch, blockTime, consistencyChecked: version !== null && version >= REGISTRY_VERSION };
  } finally {
    provider.destroy();
  }
}
