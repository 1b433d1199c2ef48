// Ed25519 verification off the event loop: a pool of worker threads (one per core), each verifying slices of a batch
// through OpenSSL (node:crypto) with one key object cached per public key. An ingest batch's signatures are the
// costliest part of ingest (about 80 µs each on one core, 500 a batch); in the workers they are checked while the
// main thread runs the batch's transaction and other requests' work, and a pipelining client's next batch is
// verified while the previous one is written.
//
// A slice travels as one transferred buffer: per signature 1 byte (1 = well formed), 32 bytes of key, 64 of
// signature, a 32-bit length and the message. Each worker answers the first index in its slice that fails, so the
// batch's first bad signature is the least of those: the same answer as checking one by one, in order.
//
// The worker's code is a string (eval), not a file: the hub runs from TypeScript sources (tsx, vitest) and from the
// bundled CLI, and a worker file would need resolving and transpiling differently in each.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
const SPKI = Buffer.from('302a300506032b6570032100', 'hex');
const keys = new Map();
function keyOf(raw) {
  const hex = raw.toString('hex');
  let k = keys.get(hex);
  if (k === undefined) {
    if (keys.size > 10000) keys.clear();
    try { k = createPublicKey({ key: Buffer.concat([SPKI, raw]), format: 'der', type: 'spki' }); } catch { k = null; }
    keys.set(hex, k);
  }
  return k;
}
parentPort.on('message', ({ id, buffer, count }) => {
  const b = Buffer.from(buffer);
  let off = 0;
  let bad = -1;
  for (let i = 0; i < count; i++) {
    const ok = b[off] === 1;
    const key = b.subarray(off + 1, off + 33);
    const sig = b.subarray(off + 33, off + 97);
    const len = b.readUInt32BE(off + 97);
    const msg = b.subarray(off + 101, off + 101 + len);
    off += 101 + len;
    let good = false;
    if (ok) {
      const k = keyOf(key);
      if (k) { try { good = verify(null, msg, k, sig); } catch { good = false; } }
    }
    if (!good) { bad = i; break; }
  }
  parentPort.postMessage({ id, bad });
});
`;

export interface SignedItem {
  /** Hex of the 32-byte Ed25519 public key. */
  publicKey: string;
  /** Hex of the 64-byte signature. */
  signature: string;
  message: Uint8Array;
}

interface Task {
  resolve(bad: number): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Task>;
}

/** Signatures per message to a worker: big enough that posting costs little, small enough to spread a batch. */
const SLICE = 64;

export class VerifyPool {
  readonly size: number;
  #slots: Slot[] = [];
  #next = 0;
  #ids = 0;

  constructor(size = availableParallelism()) {
    this.size = Math.max(1, Math.min(size, 16));
  }

  /** The index of the first item whose signature does not verify, or -1 when all do. Rejects if a worker fails. */
  async firstBad(items: readonly SignedItem[]): Promise<number> {
    const answers: Promise<number>[] = [];
    for (let from = 0; from < items.length; from += SLICE) {
      const slice = items.slice(from, from + SLICE);
      answers.push(this.#post(slice).then((bad) => (bad < 0 ? -1 : from + bad)));
    }
    const bads = (await Promise.all(answers)).filter((b) => b >= 0);
    return bads.length ? Math.min(...bads) : -1;
  }

  /** Stops the workers; the pool starts new ones if used again. */
  async close(): Promise<void> {
    const slots = this.#slots;
    this.#slots = [];
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  #post(items: readonly SignedItem[]): Promise<number> {
    let bytes = 0;
    for (const it of items) bytes += 101 + it.message.length;
    const buf = Buffer.alloc(bytes);
    let off = 0;
    for (const it of items) {
      // Hex that is not exactly 32 and 64 bytes is marked, never padded: a zero-filled key could be a small-order point.
      // (Buffer#write decodes hex up to the first character that is not hex, so a short count means bad hex.)
      buf[off] = it.publicKey.length === 64 && it.signature.length === 128 && buf.write(it.publicKey, off + 1, 32, 'hex') === 32 && buf.write(it.signature, off + 33, 64, 'hex') === 64 ? 1 : 0;
      buf.writeUInt32BE(it.message.length, off + 97);
      buf.set(it.message, off + 101);
      off += 101 + it.message.length;
    }
    const slot = this.#slot();
    const id = ++this.#ids;
    return new Promise<number>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      // Buffer.alloc of this size has its own ArrayBuffer (no pool), so it can be handed over without a copy.
      slot.worker.postMessage({ id, buffer: buf.buffer, count: items.length }, [buf.buffer]);
    });
  }

  #slot(): Slot {
    if (this.#slots.length < this.size) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      // An idle pool must not keep a CLI or a test process alive; pending work holds a reference below.
      worker.unref();
      const slot: Slot = { worker, pending: new Map() };
      worker.on('message', ({ id, bad }: { id: number; bad: number }) => {
        const task = slot.pending.get(id);
        slot.pending.delete(id);
        if (slot.pending.size === 0) worker.unref();
        task?.resolve(bad);
      });
      const fail = (e: Error): void => {
        this.#slots = this.#slots.filter((s) => s !== slot);
        for (const t of slot.pending.values()) t.reject(e);
        slot.pending.clear();
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`a signature verification worker exited with code ${code}`)));
      this.#slots.push(slot);
    }
    const slot = this.#slots[this.#next++ % this.#slots.length]!;
    slot.worker.ref();
    return slot;
  }
}

/** The process's pool, shared by every ingest. */
export const signaturePool = new VerifyPool();
