// The verification index of every tenant, in memory: pHashes of images, watermark payloads, and pHashes of video
// segments, each in a HammingIndex whose ids are the records' tenant_seq. Built from the database at start and
// extended as records are accepted. It is a cache of the records table, never the truth: tenant_seq is dense and
// handed out in commit order under the tenant row's lock (server/ingest/ingest.ts), so "records up to seq N" is a
// complete prefix, and a process that sees record_count > N fetches exactly the missing rows. That is how several
// hub processes on one PostgreSQL each answer for records the others accepted.
import type { HubKysely, RecordsTable } from '../db/schema.ts';
import { HammingIndex, codeFromHex } from './mih.ts';

export type IndexRow = Pick<RecordsTable, 'tenant_seq' | 'kind' | 'phash' | 'payload'>;

const PAGE = 50_000;

export class TenantIndex {
  readonly tenantId: string;
  /** Every record with tenant_seq ≤ seq is in the indexes. */
  seq = 0;
  readonly phash = new HammingIndex(64);
  readonly payload = new HammingIndex(128);
  readonly segments = new HammingIndex(64);

  constructor(tenantId: string) {
    this.tenantId = tenantId;
  }

  add(r: IndexRow): void {
    if (r.kind === 'image') {
      this.phash.add(codeFromHex(r.phash, 64), r.tenant_seq);
      if (r.payload) this.payload.add(codeFromHex(r.payload, 128), r.tenant_seq);
    } else if (r.kind === 'segment') {
      this.segments.add(codeFromHex(r.phash, 64), r.tenant_seq);
    }
    this.seq = r.tenant_seq;
  }

  /**
   * A loader for rows in seq order that keeps only typed arrays (never a million row objects), then builds each
   * index once: how the index is loaded at start.
   */
  bulk(): { push(r: IndexRow): void; finish(): void } {
    const ph = new CodeBuffer(2);
    const wm = new CodeBuffer(4);
    const sg = new CodeBuffer(2);
    let last = this.seq;
    return {
      push: (r) => {
        if (r.kind === 'image') {
          ph.push(r.phash, r.tenant_seq);
          if (r.payload) wm.push(r.payload, r.tenant_seq);
        } else if (r.kind === 'segment') sg.push(r.phash, r.tenant_seq);
        last = r.tenant_seq;
      },
      finish: () => {
        ph.loadInto(this.phash);
        wm.loadInto(this.payload);
        sg.loadInto(this.segments);
        this.seq = last;
      },
    };
  }

  get sizes(): { phash: number; payload: number; segments: number } {
    return { phash: this.phash.size, payload: this.payload.size, segments: this.segments.size };
  }
}

export class IndexSet {
  readonly #db: HubKysely;
  readonly #tenants = new Map<string, TenantIndex>();
  /** One catch-up at a time per tenant, so rows are added once and in order. */
  readonly #locks = new Map<string, Promise<void>>();

  constructor(db: HubKysely) {
    this.#db = db;
  }

  tenants(): TenantIndex[] {
    return [...this.#tenants.values()];
  }

  get(tenantId: string): TenantIndex {
    let t = this.#tenants.get(tenantId);
    if (!t) {
      t = new TenantIndex(tenantId);
      this.#tenants.set(tenantId, t);
    }
    return t;
  }

  /** Brings every tenant's index (or the given tenant's) up to the database's record_count. */
  async refresh(tenantId?: string): Promise<void> {
    let q = this.#db.selectFrom('tenants').select(['id', 'record_count']);
    if (tenantId) q = q.where('id', '=', tenantId);
    const rows = await q.execute();
    await Promise.all(rows.filter((r) => r.record_count > this.get(r.id).seq).map((r) => this.catchUp(r.id)));
  }

  /** Records accepted by this process: added directly when they follow on, else fetched with whatever is missing. */
  async accepted(tenantId: string, rows: readonly IndexRow[]): Promise<void> {
    await this.#serial(tenantId, async () => {
      const t = this.get(tenantId);
      const fresh = rows.filter((r) => r.tenant_seq > t.seq);
      if (fresh.length && fresh[0]!.tenant_seq === t.seq + 1) for (const r of fresh) t.add(r);
      else if (fresh.length) await this.#fetch(t);
    });
  }

  catchUp(tenantId: string): Promise<void> {
    return this.#serial(tenantId, () => this.#fetch(this.get(tenantId)));
  }

  async #fetch(t: TenantIndex): Promise<void> {
    // An empty index is filled in bulk (one build per index); one that is loaded takes the new rows one by one.
    const loader = t.seq === 0 ? t.bulk() : null;
    let from = t.seq;
    for (;;) {
      const page = await this.#db.selectFrom('records').select(['tenant_seq', 'kind', 'phash', 'payload'])
        .where('tenant_id', '=', t.tenantId).where('tenant_seq', '>', from).orderBy('tenant_seq').limit(PAGE).execute();
      for (const r of page) {
        if (loader) loader.push(r);
        else t.add(r);
      }
      if (page.length) from = page[page.length - 1]!.tenant_seq;
      if (page.length < PAGE) break;
    }
    loader?.finish();
  }

  #serial(tenantId: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.#locks.get(tenantId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.#locks.set(tenantId, next.catch(() => {}));
    return next;
  }
}

/** Codes parsed from hex straight into a growing typed array, with their ids. */
class CodeBuffer {
  readonly #words: number;
  #codes: Uint32Array;
  #ids: Uint32Array;
  #n = 0;

  constructor(words: number) {
    this.#words = words;
    this.#codes = new Uint32Array(1024 * words);
    this.#ids = new Uint32Array(1024);
  }

  push(hex: string, id: number): void {
    if (this.#n === this.#ids.length) {
      const codes = new Uint32Array(this.#codes.length * 2);
      codes.set(this.#codes);
      const ids = new Uint32Array(this.#ids.length * 2);
      ids.set(this.#ids);
      this.#codes = codes;
      this.#ids = ids;
    }
    const off = this.#n * this.#words;
    for (let k = 0; k < this.#words; k++) this.#codes[off + k] = parseInt(hex.slice(k * 8, k * 8 + 8), 16) >>> 0;
    this.#ids[this.#n++] = id;
  }

  loadInto(idx: HammingIndex): void {
    if (this.#n) idx.addMany(this.#codes.subarray(0, this.#n * this.#words), this.#ids.subarray(0, this.#n));
  }
}
