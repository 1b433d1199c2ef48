// Real local EVM chains for the anchoring tests: Hardhat 3's EDR in this process (network.connect()), or
// `hardhat node` as a child process serving JSON-RPC on 127.0.0.1 at a port the OS chose. Both start with Hardhat's
// funded development accounts and mine each transaction at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { BrowserProvider, ContractFactory, hexlify, type InterfaceAbi, JsonRpcProvider, type Contract, type Eip1193Provider, type Provider, type Signer } from 'ethers';
import { afterAll, beforeAll } from 'vitest';
import { readArtifact } from '../../contracts/build.ts';
import { logIdOf, readLatest, registryAt } from '../../core/ledger/registry.ts';
import { consistencyProof, leafHash, nodeHash, rootAt, type NodeId, type NodeReader } from '../../core/tlog/merkle.ts';
import type { HubDatabase } from '../../server/db/connect.ts';
import { appendLeaves, DbNodeReader, logEdge } from '../../server/tlog/log-store.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

export interface TestChain {
  kind: 'edr in process' | 'hardhat node';
  /** JSON-RPC URL; null for the in-process chain. */
  url: string | null;
  provider: Provider & { getSigner(i?: number): Promise<Signer>; send(method: string, params: unknown[]): Promise<unknown> };
  close(): Promise<void>;
}

export async function inProcessChain(): Promise<TestChain> {
  const { network } = await import('hardhat');
  const conn = await network.connect();
  const provider = new BrowserProvider(conn.provider as unknown as Eip1193Provider);
  return { kind: 'edr in process', url: null, provider, close: () => conn.close() };
}

/** `hardhat node --port 0`: a JSON-RPC server on 127.0.0.1; resolves once it prints its address. */
export async function hardhatNode(): Promise<TestChain & { child: ChildProcess; url: string }> {
  const cli = join(dirname(require.resolve('hardhat/package.json')), 'dist', 'src', 'cli.js');
  const child = spawn(process.execPath, [cli, 'node', '--port', '0', '--hostname', '127.0.0.1'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true' } });
  let seen = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`expected hardhat node to start within 30 s, got:\n${seen}`)), 30_000);
    const onData = (d: Buffer) => {
      seen += d.toString();
      const m = /JSON-RPC server at (http:\/\/127\.0\.0\.1:\d+)\//.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (seen += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`expected hardhat node to keep running, it exited with ${code}:\n${seen}`));
    });
  });
  // Keep draining its log, or the pipe fills and the node blocks.
  child.stdout!.resume();
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, pollingInterval: 50 });
  return {
    kind: 'hardhat node',
    url,
    child,
    provider,
    async close() {
      provider.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

export async function deployRegistry(owner: Signer): Promise<Contract> {
  const a = readArtifact();
  const c = await new ContractFactory(a.abi as InterfaceAbi, a.bytecode, owner).deploy(await owner.getAddress());
  await c.waitForDeployment();
  return registryAt(await c.getAddress(), owner);
}

/**
 * A log's history for the contract tests, at any size for a few hashes: every leaf is the same (the seed), so a
 * complete subtree's hash depends on its level only and no leaf is stored. A real Merkle tree all the same, so its
 * roots and consistency proofs are the RFC's; two seeds are two unrelated histories.
 */
export class UniformHistory implements NodeReader {
  readonly #levels: Uint8Array[];

  constructor(seed: Uint8Array = randomBytes(32)) {
    this.#levels = [leafHash(seed)];
  }

  nodes(ids: readonly NodeId[]): Uint8Array[] {
    return ids.map(({ level }) => {
      while (this.#levels.length <= level) {
        const h = this.#levels.at(-1)!;
        this.#levels.push(nodeHash(h, h));
      }
      return this.#levels[level]!;
    });
  }

  async root(size: number): Promise<string> {
    return hexlify(await rootAt(this, size));
  }

  async proof(from: number, to: number): Promise<string[]> {
    return (await consistencyProof(this, from, to)).map((h) => hexlify(h));
  }
}

/** registerBatch's root and consistency proof for `history` at `size`, from the log's latest batch on chain. */
export async function nextBatch(registry: Contract, logId: string, history: UniformHistory, size: number): Promise<{ root: string; proof: string[] }> {
  const latest = await readLatest(registry, logId);
  return { root: await history.root(size), proof: latest.size === 0 || latest.size >= size ? [] : await history.proof(latest.size, size) };
}

/**
 * Grows the tenant's log in the hub's database to `size` leaves (random leaf hashes) and stores its checkpoint at that
 * size, as the hub signs them (the note is a placeholder: the anchoring worker reads the size, the root and the time);
 * answers the root. The worker builds its consistency proofs from these leaves.
 */
export async function logCheckpoint(hub: HubDatabase, tenantId: string, size: number): Promise<Uint8Array> {
  const now = new Date().toISOString();
  await hub.db.transaction().execute(async (trx) => {
    const from = (await logEdge(trx, tenantId)).size;
    const leaves = Array.from({ length: Math.max(0, size - from) }, (_, i) => ({ kind: 'record' as const, ref: `rec_test_${from + i}`, hash: new Uint8Array(randomBytes(32)) }));
    await appendLeaves(trx, tenantId, leaves, now);
  });
  const root = await rootAt(new DbNodeReader(hub.db, tenantId), size);
  await hub.db.insertInto('tlog_checkpoints').values({ tenant_id: tenantId, size, root, note: `checkpoint ${size}`, signed_at: now }).execute();
  return root;
}

/** Registers `key` as the anchoring key of the log whose checkpoints carry `origin`. */
export async function registerLog(registry: Contract, origin: string, key: string): Promise<string> {
  const logId = logIdOf(origin);
  await (await registry.getFunction('setAnchoringKey')(logId, key)).wait();
  return logId;
}

/** A TCP relay in front of a JSON-RPC node that a test can cut and restore (an RPC outage), on a fixed local port. */
export async function cuttableRelay(target: string): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const t = new URL(target);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(t.port), t.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number) => new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const cut = async () => {
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  return { url: `http://127.0.0.1:${port}/`, cut, restore: () => listen(port), close: () => (server.listening ? cut() : Promise.resolve()) };
}

/** Sends `wei` from the chain's first development account to each address. */
export async function fund(chain: TestChain, addresses: string[], wei = 10n ** 18n): Promise<void> {
  const bank = await chain.provider.getSigner(0);
  for (const to of addresses) await (await bank.sendTransaction({ to, value: wei })).wait();
}

/** Polls `f` until it answers something truthy, failing after `ms`. */
export async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A `hardhat node` for one test file, mining each transaction at once and a block every 100 ms besides (so batches
 * get their confirmations), started before the file's tests and stopped after; `owner` is its first account.
 */
export function sharedMiningNode(): { readonly chain: TestChain & { url: string }; readonly owner: Signer } {
  const state: { chain?: TestChain & { url: string }; owner?: Signer } = {};
  beforeAll(async () => {
    state.chain = await hardhatNode();
    state.owner = await state.chain.provider.getSigner(0);
    await state.chain.provider.send('evm_setIntervalMining', [100]);
  });
  afterAll(async () => state.chain?.close());
  return {
    get chain() {
      return state.chain!;
    },
    get owner() {
      return state.owner!;
    },
  };
}
