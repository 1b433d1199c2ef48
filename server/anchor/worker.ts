// The anchoring worker (docs/anchoring.md "The anchoring worker"): registers every signed checkpoint's root on the
// configured chain with ProvenanceRegistry.registerBatch, one small state machine per checkpoint kept in the
// database: open → submitted (nonce, hash and the raw signed transaction, stored *before* it is sent) → confirmed
// (N blocks deep). After a crash anywhere, the next round re-sends the stored bytes or reads the receipt, so a batch
// is never lost and never signed twice for one nonce. The contract is the second guard: it refuses a root the log
// holds (RootAlreadyRegistered), a size not above the log's last, and a batch whose consistency proof does not lead
// from the log's latest root on chain to its own (InconsistentBatch); #settle adopts the transaction that did
// register the batch when one of ours reverted for that. The proof is built from the hub's own log, and checked here
// first: a latest root on chain that is not in the hub's history was written by someone else, and nothing is sent.
// One process anchors at a time (a lease row), one transaction per tenant is in flight until it is mined.
import { JsonRpcProvider, Network, Transaction, type Contract, type FeeData, type Wallet } from 'ethers';
import { crashPoint } from '../../core/crash-point.ts';
import { logIdOf, readBatch, readLatest, registryAt, registryVersion, REGISTRY_INTERFACE, REGISTRY_VERSION, type ChainBatch } from '../../core/ledger/registry.ts';
import { checkConsistency, consistencyProof, ProofError, rootAt } from '../../core/tlog/merkle.ts';
import type { ChainRef } from '../../core/tlog/proof-file.ts';
import type { HubDatabase } from '../db/connect.ts';
import { DbNodeReader } from '../tlog/log-store.ts';
import { BatchStore, type BatchRow } from './batches.ts';
import type { AnchorKeys } from './keys.ts';
import { Lease } from './lease.ts';

/** The named steps a crash test stops the hub at (CUSTODY_CRASH_POINT, core/crash-point.ts). */
export const ANCHOR_CRASH_POINTS = ['anchor.opened', 'anchor.signed', 'anchor.sent', 'anchor.mined', 'anchor.confirmed'] as const;

export interface ChainConfig {
  rpc: string;
  chainId: number;
  contract: string;
  /** Blocks on top of (and including) the one holding the transaction before a batch counts as confirmed. */
  confirmations?: number;
  /** Between rounds when all is well; an RPC failure doubles it up to maxBackoffMs. */
  pollMs?: number;
  maxBackoffMs?: number;
  /** A transaction not mined after this long is replaced: same nonce, fees raised. */
  replaceAfterMs?: number;
  leaseMs?: number;
  /**
   * How far back (blocks from the head) confirmed batches are checked again every round: one the chain no longer
   * holds where it was confirmed (a reorganisation deeper than the confirmations) is anchored again.
   */
  recheckBlocks?: number;
}

export const DEFAULT_CONFIRMATIONS = 2;
export const DEFAULT_RECHECK_BLOCKS = 256;
/**
 * registerBatch's gas limit: 141k for a log's first batch (no proof), 121k–128k after (bench:anchor), each proof hash
 * adding its calldata and up to two node hashes (under 1,000 gas); room to spare as before the proofs (200k for ~118k).
 */
const gasLimit = (proofLength: number) => 200_000n + 3_000n * BigInt(proofLength);

export interface AnchorWorkerOptions {
  hub: HubDatabase;
  chain: ChainConfig;
  keys: AnchorKeys;
  /** The checkpoint origin of a tenant's log (its logId on chain is keccak256 of it). */
  origin(tenantId: string): string;
  /** The Ed25519 public key that signs the checkpoints (registerBatch's signerKey). */
  signerKey: Uint8Array;
  /** What an operator should hear of; 'error' for what needs them (the log's history on chain not the hub's). */
  log?: (msg: string, detail?: Record<string, unknown>, level?: 'info' | 'error') => void;
  now?: () => Date;
}

type Followed = 'waiting' | 'mined' | 'done' | 'reopened';

export class AnchorWorker {
  readonly #o: Required<Omit<AnchorWorkerOptions, 'chain'>> & { chain: Required<ChainConfig> };
  readonly #provider: JsonRpcProvider;
  readonly #registry: Contract;
  readonly #store: BatchStore;
  readonly #lease: Lease;
  readonly #registered = new Set<string>();
  #checkedChain = false;
  #running = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;

  constructor(o: AnchorWorkerOptions) {
    const chain = { confirmations: DEFAULT_CONFIRMATIONS, pollMs: 1000, maxBackoffMs: 30_000, replaceAfterMs: 120_000, leaseMs: 15_000, recheckBlocks: DEFAULT_RECHECK_BLOCKS, ...o.chain };
    this.#o = { log: () => {}, now: () => new Date(), ...o, chain };
    // staticNetwork: no network detection that retries forever while the RPC is down; the chain id is checked once
    // it answers (#checkChain).
    // cacheTimeout -1: ethers otherwise answers a repeated call (a nonce, a receipt) from a 250 ms cache.
    this.#provider = new JsonRpcProvider(chain.rpc, chain.chainId, { staticNetwork: Network.from(chain.chainId), pollingInterval: 250, cacheTimeout: -1 });
    this.#registry = registryAt(chain.contract, this.#provider);
    this.#store = new BatchStore(o.hub.db, { chainId: chain.chainId, contract: chain.contract });
    this.#lease = new Lease(o.hub.db, 'anchor', chain.leaseMs);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    await this.#lease.release().catch(() => {});
    this.#provider.destroy();
  }

  async #run(): Promise<void> {
    let delay = this.#o.chain.pollMs;
    while (this.#running) {
      try {
        await this.round();
        delay = this.#o.chain.pollMs;
      } catch (e) {
        delay = Math.min(delay * 2, this.#o.chain.maxBackoffMs);
        this.#o.log('anchor: round failed, retrying', { error: (e as Error).message?.slice(0, 300), retryInMs: delay });
      }
      if (!this.#running) break;
      await new Promise<void>((r) => {
        const t = setTimeout(r, delay);
        this.#wake = () => (clearTimeout(t), r());
      });
    }
  }

  /** One pass: take the lease, open batches for new checkpoints, check recent ones again, move every tenant's batches on. */
  async round(): Promise<void> {
    if (!(await this.#lease.acquire(this.#o.now()))) return;
    const opened = await this.#store.openNew((t) => this.#o.keys.address(t), this.#o.now());
    if (opened > 0) crashPoint('anchor.opened');
    await this.#checkChain();
    await this.#recheck();
    // One tenant's failure (its address cannot pay, its node refuses its transaction) is its own: the others go on.
    // Only when every tenant failed does the round fail, and back off (the node is away).
    const tenants = await this.#store.tenantsWithWork();
    let failed: unknown = null;
    let failures = 0;
    for (const tenantId of tenants) {
      try {
        await this.#advance(tenantId);
      } catch (e) {
        failures += 1;
        failed ??= e;
        this.#o.log('anchor: a tenant\'s batch failed, the others go on', { tenant: tenantId, error: (e as Error).message?.slice(0, 300) });
      }
    }
    if (failures > 0 && failures === tenants.length) throw failed;
  }

  /**
   * Confirmed batches whose registration a reorganisation took away. A tenant's batches are mined in size order (one
   * sender, increasing nonces), and a reorganisation drops the newest blocks, so when a tenant's newest confirmed
   * batch is still in its block so are the older ones: one getBatch a tenant with a batch in the last recheckBlocks
   * blocks. Otherwise each of its recent batches is read: one the log no longer holds goes back to open (anchored
   * again, from the chain's latest root), one held in another block back to submitted (confirmed there again).
   */
  async #recheck(): Promise<void> {
    const since = (await this.#provider.getBlockNumber()) - this.#o.chain.recheckBlocks;
    for (const newest of await this.#store.newestConfirmedAbove(since)) {
      let held = await this.#held(newest);
      if (this.#heldWhereConfirmed(newest, held)) continue;
      // largest first: the newest (read above), then back to the first still where it was confirmed
      let reopenedFrom: number | null = null;
      for (const b of await this.#store.confirmedAbove(newest.tenant_id, since)) {
        if (b.size !== newest.size) held = await this.#held(b);
        if (this.#heldWhereConfirmed(b, held)) break;
        const gone = !held || held.treeSize !== b.size;
        const why = `its registration (tx ${b.tx_hash} in block ${b.block_number}) is no longer on chain${gone ? '' : ` there: the chain holds it in block ${held!.blockNumber}`} (a reorganisation): ${gone ? 'anchoring it again' : 'confirming it there'}`;
        await this.#store.unconfirm(b, gone ? 'open' : 'submitted', why, this.#o.now());
        if (gone) reopenedFrom = b.size;
        this.#o.log('anchor: a confirmed batch left the chain', { tenant: b.tenant_id, size: b.size, tx: b.tx_hash, block: b.block_number, heldInBlock: held?.blockNumber ?? null }, 'error');
      }
      // The tenant's later batches in flight were signed on top of a registration that is gone, at nonces past the
      // one it freed: open again too, so the batches are signed anew from the first free nonce, in size order (a
      // transaction of theirs the node still mines is adopted through the contract, as after any crash).
      if (reopenedFrom === null) continue;
      for (const p of await this.#store.pending(newest.tenant_id)) {
        if (p.state === 'submitted' && p.size > reopenedFrom) await this.#store.reopen(p, `signed on top of the batch of ${reopenedFrom}, which a reorganisation took off the chain`, this.#o.now());
      }
    }
  }

  #held(b: BatchRow): Promise<ChainBatch | null> {
    return readBatch(this.#registry, this.#logId(b.tenant_id), b.root);
  }

  /** The chain holds `b` at its size in the block it was confirmed in. */
  #heldWhereConfirmed(b: BatchRow, held: ChainBatch | null): boolean {
    return held !== null && held.treeSize === b.size && held.blockNumber === b.block_number;
  }

  /** Where the checkpoint of `size` was anchored, once confirmed (tlog's AnchorLookup). */
  async chainRefFor(tenantId: string, size: number): Promise<ChainRef | null> {
    const b = await this.#store.get(tenantId, size);
    if (!b || b.state !== 'confirmed' || !b.tx_hash || b.block_number === null) return null;
    return { chainId: this.#o.chain.chainId, contract: this.#o.chain.contract, tx: b.tx_hash, block: b.block_number, timestamp: b.block_timestamp };
  }

  async #checkChain(): Promise<void> {
    if (this.#checkedChain) return;
    const id = Number(await this.#provider.send('eth_chainId', []));
    if (id !== this.#o.chain.chainId) throw new Error(`expected chain id ${this.#o.chain.chainId} at ${this.#o.chain.rpc}, got ${id}`);
    if ((await this.#provider.getCode(this.#o.chain.contract)) === '0x') throw new Error(`expected the ProvenanceRegistry at ${this.#o.chain.contract} on chain ${id}, got no code there`);
    // An older registry checks no consistency between a log's batches (and takes another registerBatch): refused.
    const version = await registryVersion(this.#registry);
    if (version !== REGISTRY_VERSION) {
      throw new Error(`expected a ProvenanceRegistry of version ${REGISTRY_VERSION} (it checks each batch's consistency proof) at ${this.#o.chain.contract} on chain ${id}, got ${version === null ? 'an older one without VERSION' : `version ${version}`}: deploy the current one (custody hub chain deploy), register the organisations' keys on it and serve with its address`);
    }
    this.#checkedChain = true;
  }

  async #advance(tenantId: string): Promise<void> {
    for (const b of await this.#store.pending(tenantId)) {
      let row: BatchRow | undefined = b;
      if (b.state === 'submitted') {
        const f = await this.#follow(b);
        if (f === 'waiting') return;
        if (f !== 'reopened') continue;
        row = await this.#store.get(tenantId, b.size);
      }
      if (row?.state === 'open') await this.#submit(row);
      return;
    }
  }

  #logId(tenantId: string): string {
    return logIdOf(this.#o.origin(tenantId));
  }

  /** A submitted batch: confirmed once deep enough; re-sent, replaced or settled from the contract otherwise. */
  async #follow(b: BatchRow): Promise<Followed> {
    const now = this.#o.now();
    const receipt = await this.#provider.getTransactionReceipt(b.tx_hash!);
    if (receipt && receipt.status === 1) {
      if (b.block_number !== receipt.blockNumber || b.block_hash !== receipt.blockHash) {
        await this.#store.mined(b, { hash: receipt.hash, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash }, now);
        crashPoint('anchor.mined');
      }
      if ((await receipt.confirmations()) < this.#o.chain.confirmations) return 'mined';
      const block = await this.#provider.getBlock(receipt.blockNumber);
      await this.#store.confirm(b, block ? new Date(block.timestamp * 1000).toISOString() : null, now);
      this.#o.log('anchor: batch confirmed', { tenant: b.tenant_id, size: b.size, tx: receipt.hash, block: receipt.blockNumber });
      crashPoint('anchor.confirmed');
      return 'done';
    }
    if (receipt) return this.#settle(b, `its transaction ${receipt.hash} reverted`);
    const used = await this.#provider.getTransactionCount(b.sender, 'latest');
    if (used > b.nonce!) return this.#settle(b, `its nonce ${b.nonce} went to another transaction`);
    // Not mined: the node may have dropped it (a restart, a full mempool). Send the same bytes again; after
    // replaceAfterMs, replace it with higher fees at the same nonce, but only while the node holds it (fees too low):
    // one the node refused (its address cannot pay) is sent again as it is, so that its fees never climb while it
    // cannot be mined at any price (they grew a quarter each time, without bound, before).
    const held = now.getTime() - Date.parse(b.updated_at) > this.#o.chain.replaceAfterMs ? await this.#provider.getTransaction(b.tx_hash!) : null;
    if (held) {
      const proof = await this.#consistency(b);
      if (proof) await this.#sign(b, b.nonce!, proof, Transaction.from(b.raw_tx!));
    } else {
      await this.#send(b.raw_tx!);
    }
    return 'waiting';
  }

  /**
   * What the contract holds for `b`'s root (`held`, at whatever size), and the BatchRegistered event that put `b`
   * itself on chain (`ev`, null when the root is not held at `b`'s size).
   */
  async #onChain(b: BatchRow): Promise<{ held: ChainBatch | null; ev: { hash: string; blockNumber: number; blockHash: string } | null }> {
    const logId = this.#logId(b.tenant_id);
    const held = await readBatch(this.#registry, logId, b.root);
    if (!held || held.treeSize !== b.size) return { held, ev: null };
    const events = await this.#registry.queryFilter(this.#registry.filters.BatchRegistered!(logId, b.root, b.size), held.blockNumber, held.blockNumber);
    const ev = events[0];
    return { held, ev: ev ? { hash: ev.transactionHash, blockNumber: ev.blockNumber, blockHash: ev.blockHash } : null };
  }

  /**
   * True (and `b` failed) when the chain can no longer take `b`: the log is already past its size, or holds its root
   * at another size (the contract refuses a root twice: RootAlreadyRegistered), which signing again would only repeat.
   */
  async #passed(b: BatchRow, held: ChainBatch | null, why: string): Promise<boolean> {
    const latest = Number(await this.#registry.getFunction('latestTreeSize')(this.#logId(b.tenant_id)));
    if (latest < b.size && !held) return false;
    const now = held ? `the log on chain holds its root at tree size ${held.treeSize}` : `the log's tree size on chain is already ${latest}`;
    await this.#store.fail(b, `${why}, and ${now}`, this.#o.now());
    this.#o.log('anchor: batch cannot be anchored any more', { tenant: b.tenant_id, size: b.size, latest, heldAt: held?.treeSize ?? null });
    return true;
  }

  /** The chain tells what became of a batch whose own transaction did not register it. */
  async #settle(b: BatchRow, why: string): Promise<Followed> {
    // Registered by another transaction of ours (a replacement, or one a crashed process sent)?
    const { held, ev } = await this.#onChain(b);
    if (ev) {
      await this.#store.mined(b, ev, this.#o.now());
      return 'mined';
    }
    if (await this.#passed(b, held, why)) return 'done';
    this.#registered.delete(b.tenant_id);
    await this.#store.reopen(b, why, this.#o.now());
    return 'reopened';
  }

  async #submit(b: BatchRow): Promise<void> {
    // Already there (a database restored from an older backup)? Adopt what the chain holds and sign nothing.
    const { held, ev } = await this.#onChain(b);
    if (ev) return this.#store.adopt(b, ev, this.#o.now());
    if (await this.#passed(b, held, 'not registered')) return;
    const wallet = this.#wallet(b.tenant_id);
    if (!this.#registered.has(b.tenant_id)) {
      const logId = this.#logId(b.tenant_id);
      const registeredLog = (await this.#registry.getFunction('logOfKey')(wallet.address)) as string;
      if (registeredLog !== logId) {
        await this.#store.noteError(b, `the anchoring key ${wallet.address} is not registered for log ${logId} (${this.#o.origin(b.tenant_id)}): the contract owner must call setAnchoringKey`, this.#o.now());
        return;
      }
      this.#registered.add(b.tenant_id);
    }
    const proof = await this.#consistency(b);
    if (!proof) return;
    // The node's count, or past the last nonce this hub signed if the node has not seen that one (yet).
    const nonce = Math.max(await this.#provider.getTransactionCount(wallet.address, 'pending'), (await this.#store.lastNonce(wallet.address)) + 1);
    await this.#sign(b, nonce, proof, null);
  }

  /**
   * The consistency proof from the log's latest batch on chain to `b`, from the hub's own log and checked here. Null,
   * with `b` failed and an error logged, when the chain's latest root is not in the hub's history: someone else
   * registered it with the log's key, and no batch of this hub can follow it in this contract.
   */
  async #consistency(b: BatchRow): Promise<string[] | null> {
    const logId = this.#logId(b.tenant_id);
    const latest = await readLatest(this.#registry, logId);
    if (latest.size === 0 || latest.size >= b.size) return []; // a first batch; or one the contract refuses by size
    const reader = new DbNodeReader(this.#o.hub.db, b.tenant_id);
    const own = await rootAt(reader, latest.size);
    let why: string;
    if (hex(own) !== latest.root.toLowerCase()) {
      why = `the hub's root at that size is ${hex(own)}`;
    } else {
      const proof = await consistencyProof(reader, latest.size, b.size);
      try {
        checkConsistency(latest.size, b.size, proof, own, Buffer.from(b.root.slice(2), 'hex'));
        return proof.map(hex);
      } catch (e) {
        if (!(e instanceof ProofError)) throw e;
        why = `the hub's own consistency proof to this checkpoint fails: ${e.message}`;
      }
    }
    const message = `the log's latest batch on chain (tree size ${latest.size}, root ${latest.root}) is not in this hub's history (${why}): someone else registered it with the log's anchoring key; nothing sent`;
    await this.#store.fail(b, message, this.#o.now());
    this.#o.log('anchor: the log on chain is not this hub\'s history, nothing sent', { tenant: b.tenant_id, size: b.size, logId, chainSize: latest.size, chainRoot: latest.root }, 'error');
    return null;
  }

  #wallet(tenantId: string): Wallet {
    return this.#o.keys.wallet(tenantId, this.#provider);
  }

  /** Signs registerBatch for `b` at `nonce` (a replacement of `previous` when given), stores it, then sends it. */
  async #sign(b: BatchRow, nonce: number, proof: string[], previous: Transaction | null): Promise<void> {
    const fees = await this.#provider.getFeeData();
    const tip = raise(fees.maxPriorityFeePerGas ?? 1_000_000_000n, previous?.maxPriorityFeePerGas);
    const cap = raise(feeCap(fees, tip), previous?.maxFeePerGas);
    const data = REGISTRY_INTERFACE.encodeFunctionData('registerBatch', [b.root, b.size, hex(this.#o.signerKey), await this.#store.signedAt(b.tenant_id, b.size), proof]);
    const raw = await this.#wallet(b.tenant_id).signTransaction({
      type: 2, chainId: this.#o.chain.chainId, to: this.#o.chain.contract, data, nonce, gasLimit: gasLimit(proof.length), maxPriorityFeePerGas: tip, maxFeePerGas: cap,
    });
    const hash = Transaction.from(raw).hash!;
    if (!(await this.#store.submit(b, { nonce, hash, raw, atBlock: await this.#provider.getBlockNumber() }, this.#o.now()))) return;
    crashPoint('anchor.signed');
    this.#o.log(previous ? 'anchor: replacing a transaction not mined' : 'anchor: sending a batch', { tenant: b.tenant_id, size: b.size, nonce, tx: hash });
    await this.#send(raw);
    crashPoint('anchor.sent');
  }

  /** Sends signed bytes; a node that already has them, or has mined their nonce, is not an error (#follow sorts it out). */
  async #send(raw: string): Promise<void> {
    try {
      await this.#provider.broadcastTransaction(raw);
    } catch (e) {
      const code = (e as { code?: string }).code;
      const msg = (e as Error).message ?? '';
      if (code === 'NONCE_EXPIRED' || code === 'REPLACEMENT_UNDERPRICED' || /already known|known transaction|nonce too low/i.test(msg)) return;
      throw e;
    }
  }
}

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;

function feeCap(fees: FeeData, tip: bigint): bigint {
  if (fees.maxFeePerGas !== null) return fees.maxFeePerGas > tip ? fees.maxFeePerGas : tip;
  return (fees.gasPrice ?? tip) * 2n;
}

/** A replacement must outbid the transaction it replaces by at least 10% on both fees (geth's rule); we add 25%. */
function raise(current: bigint, previous: bigint | null | undefined): bigint {
  if (previous === null || previous === undefined) return current;
  const bumped = (previous * 125n) / 100n + 1n;
  return bumped > current ? bumped : current;
}
