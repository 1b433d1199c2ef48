// Verification against the hub's records, from fingerprints only (DESIGN.md "Verify"): SHA-256 exact, watermark
// payload within Hamming 6 of 128, pHash within 10 of 64, video segment pHashes; each signal reported on its own,
// then cross-checked and judged by the desk's own verdict rules (core/provenance/verdict.ts), so a hub answer and a
// desk answer never disagree on the same evidence.
import { CustodyError } from '../../core/errors.ts';
import { hammingHex } from '../../core/media/hash.ts';
import { PHASH_COPIED_WATERMARK, PHASH_MAX_DISTANCE, WATERMARK_MAX_DISTANCE, type Check, type Checks, type BaseVerdict as Verdict } from '../../core/provenance/checks.ts';
import { decideVerdict, decideVideoVerdict } from '../../core/provenance/verdict.ts';
import type { HubKysely } from '../db/schema.ts';
import type { IndexSet } from '../index/tenant-index.ts';
import { codeFromHex, type Hit } from '../index/mih.ts';
import { publicationsBySha256, recordById, recordsBySeq, recordsBySha256, type PublicationSummary, type RecordSummary } from './records.ts';

export interface VerifyQuery {
  sha256?: string | undefined;
  payload?: string | undefined;
  phash?: string | undefined;
  segments?: string[] | undefined;
  /** `payload` was matched in the copy, not read (VerifyQuerySchema) */
  payloadMatched?: true | undefined;
}

export type Signal = 'sha256' | 'watermark' | 'phash' | 'segments';

export interface Match {
  signal: Signal;
  /** between the query's code and the record's */
  distance: number;
  record: RecordSummary;
  /** a watermark payload the copy was matched with, not read from it (VerifyQuery.payloadMatched): no bits were read */
  matched?: true;
}

export interface SegmentLink {
  query: number;
  segment: number;
  distance: number;
}

export interface VerifyAnswer {
  verdict: Verdict;
  confidence: number;
  record: RecordSummary | null;
  checks: Checks & { segments?: Check };
  /** Every record a signal reached, nearest first per signal (at most `maxMatches` per signal). */
  matches: Match[];
  /** The publication whose file has exactly the query's bytes, when one does. */
  publication?: PublicationSummary;
  /** Video: the record whose segments the query's segment pHashes align with, segment by segment. */
  video?: { recordId: string; segmentCount: number; coverage: number; aligned: SegmentLink[] } | undefined;
}

export const MAX_BATCH_QUERIES = 1000;
export const MAX_QUERY_SEGMENTS = 4096;

export class Verifier {
  readonly #db: HubKysely;
  readonly #indexes: IndexSet;
  readonly maxMatches: number;

  constructor(db: HubKysely, indexes: IndexSet, maxMatches = 10) {
    this.#db = db;
    this.#indexes = indexes;
    this.maxMatches = maxMatches;
  }

  /** tenants: the caller's tenant, or null for every tenant (public answers). */
  async verify(q: VerifyQuery, tenantId: string | null): Promise<VerifyAnswer> {
    await this.#indexes.refresh(tenantId ?? undefined);
    return this.#one(q, tenantId);
  }

  async verifyBatch(qs: readonly VerifyQuery[], tenantId: string | null): Promise<VerifyAnswer[]> {
    if (qs.length > MAX_BATCH_QUERIES) throw new CustodyError('BATCH_TOO_LARGE', `expected at most ${MAX_BATCH_QUERIES} queries in one batch, got ${qs.length}`);
    await this.#indexes.refresh(tenantId ?? undefined);
    const out: VerifyAnswer[] = [];
    for (const q of qs) out.push(await this.#one(q, tenantId));
    return out;
  }

  /**
   * The watermark payloads of the records whose pHash is within PHASH_MAX_DISTANCE of `phash`, nearest first, at most
   * `limit`: the candidates a copy whose mark cannot be read blind is matched against (image-signals.ts).
   */
  async payloadsLike(phash: string, tenantId: string | null, limit: number): Promise<string[]> {
    await this.#indexes.refresh(tenantId ?? undefined);
    const near = await this.#search(tenantId, 'phash', codeFromHex(phash, 64), PHASH_MAX_DISTANCE, limit);
    return near.flatMap((m) => (m.record.payload ? [m.record.payload] : []));
  }

  /** Index hits of one kind in the chosen tenants, resolved to records, nearest first. */
  async #search(tenantId: string | null, pick: 'phash' | 'payload' | 'segments', code: Uint32Array, radius: number, limit: number): Promise<Match[]> {
    const signal: Signal = pick === 'payload' ? 'watermark' : pick === 'phash' ? 'phash' : 'segments';
    const tenants = tenantId ? [this.#indexes.get(tenantId)] : this.#indexes.tenants();
    const hits: { tenantId: string; hit: Hit }[] = [];
    for (const t of tenants) for (const hit of t[pick].search(code, radius)) hits.push({ tenantId: t.tenantId, hit });
    hits.sort((a, b) => a.hit.distance - b.hit.distance);
    const kept = hits.slice(0, limit);
    const byTenant = new Map<string, number[]>();
    for (const h of kept) byTenant.set(h.tenantId, [...(byTenant.get(h.tenantId) ?? []), h.hit.id]);
    const resolved = new Map<string, RecordSummary>();
    for (const [t, seqs] of byTenant) for (const [seq, r] of await recordsBySeq(this.#db, t, seqs)) resolved.set(`${t}/${seq}`, r);
    return kept.flatMap((h) => {
      const record = resolved.get(`${h.tenantId}/${h.hit.id}`);
      return record ? [{ signal, distance: h.hit.distance, record }] : [];
    });
  }

  async #one(q: VerifyQuery, tenantId: string | null): Promise<VerifyAnswer> {
    if (!q.sha256 && !q.payload && !q.phash && !q.segments?.length) {
      throw new CustodyError('INVALID_ARGUMENT', 'expected at least one signal to look up (sha256, payload, phash or segments), got none');
    }
    if (q.payloadMatched && !q.payload) throw new CustodyError('INVALID_ARGUMENT', 'expected payloadMatched only with the payload that was matched, got it without one');
    if ((q.segments?.length ?? 0) > MAX_QUERY_SEGMENTS) throw new CustodyError('BATCH_TOO_LARGE', `expected at most ${MAX_QUERY_SEGMENTS} segment pHashes, got ${q.segments!.length}`);
    const tenants = tenantId ? [tenantId] : null;
    const signed = q.sha256 ? (await recordsBySha256(this.#db, tenants, q.sha256, this.maxMatches)).map((record): Match => ({ signal: 'sha256', distance: 0, record })) : [];
    // A published file is the signed output re-wrapped with the publication's manifest: its exact bytes name it.
    const published = q.sha256 && signed.length === 0 ? await publicationsBySha256(this.#db, tenants, q.sha256, this.maxMatches) : [];
    const publication = published[0]?.publication ?? null;
    const exact = signed.length ? signed : published.map(({ record }): Match => ({ signal: 'sha256', distance: 0, record }));
    const wm = q.payload ? await this.#search(tenantId, 'payload', codeFromHex(q.payload, 128), WATERMARK_MAX_DISTANCE, this.maxMatches) : [];
    const ph = q.phash ? await this.#search(tenantId, 'phash', codeFromHex(q.phash, 64), PHASH_MAX_DISTANCE, this.maxMatches) : [];
    const video = q.segments?.length ? await this.#video(tenantId, q.segments) : null;

    // The record this copy is traced to: exact bytes first, then the watermark, then the pHash (as the desk does).
    const record = exact[0]?.record ?? wm[0]?.record ?? ph[0]?.record ?? video?.record ?? null;
    const checks = this.#checks(q, record, exact, wm, ph, publication);
    let decided: { verdict: Verdict; confidence: number };
    if (video && !exact.length && !wm.length && !ph.length) {
      checks.segments = video.check;
      decided = decideVideoVerdict(checks, video.cmp);
    } else {
      if (video) checks.segments = video.check;
      decided = decideVerdict(checks);
    }
    return {
      ...decided,
      record,
      checks,
      ...(publication ? { publication } : {}),
      matches: [...exact, ...(q.payloadMatched ? wm.map((m): Match => ({ ...m, matched: true })) : wm), ...ph, ...(video?.matches ?? [])],
      ...(video?.summary ? { video: video.summary } : {}),
    };
  }

  #checks(q: VerifyQuery, record: RecordSummary | null, exact: Match[], wm: Match[], ph: Match[], publication: PublicationSummary | null): Checks & { segments?: Check } {
    const sha256: Check = !q.sha256
      ? { status: 'skipped', reason: 'NOT_GIVEN', detail: 'no SHA-256 was given' }
      : publication
        ? { status: 'pass', recordId: publication.recordId, which: 'published', publicationId: publication.id, detail: `the bytes are exactly the file published as ${publication.id} from record ${publication.recordId} at ${publication.publishedAt}` }
      : exact[0]
        ? { status: 'pass', recordId: exact[0].record.id, which: exact[0].record.sha256 === q.sha256 ? 'original' : 'signed output', detail: `the bytes are exactly the ${exact[0].record.sha256 === q.sha256 ? 'original' : 'signed output'} of record ${exact[0].record.id}` }
        : { status: 'absent', sha256: q.sha256, detail: 'no record has exactly these bytes' };

    let watermark: Check;
    if (!q.payload) watermark = { status: 'absent', detail: 'no watermark payload was given' };
    else if (q.payloadMatched) {
      // no bits were read: the check claims none (the verdict counts it as a reading at the largest distance taken)
      watermark = wm[0]
        ? { status: 'pass', recordId: wm[0].record.id, matched: true, payload: q.payload, detail: `watermark of record ${wm[0].record.id}, matched: too weak to read blind, the record's own pattern is in the copy` }
        : { status: 'fail', matched: true, payload: q.payload, detail: 'a watermark was matched in the copy, but its payload belongs to no record on this hub' };
    } else if (wm[0]) watermark = { status: 'pass', recordId: wm[0].record.id, distance: wm[0].distance, payload: q.payload, detail: `watermark of record ${wm[0].record.id}, ${wm[0].distance} of 128 bits differ` };
    else watermark = { status: 'fail', payload: q.payload, detail: 'a watermark was read, but its payload belongs to no record on this hub' };

    let phash: Check;
    const d = record && q.phash && record.phash.length === 16 ? hammingHex(record.phash, q.phash) : null;
    if (!q.phash) phash = { status: 'skipped', reason: 'NOT_GIVEN', detail: 'no pHash was given' };
    else if (record && d !== null) {
      phash = d <= PHASH_MAX_DISTANCE
        ? { status: 'pass', recordId: record.id, distance: d, phash: q.phash, detail: `looks like record ${record.id}: ${d} of 64 bits differ` }
        : { status: 'fail', recordId: record.id, distance: d, phash: q.phash, detail: `the picture differs from record ${record.id}: ${d} of 64 bits differ (at most ${PHASH_MAX_DISTANCE} for a match)` };
    } else phash = { status: 'absent', phash: q.phash, nearestDistance: ph[0]?.distance ?? null, detail: 'no signed picture on this hub looks like this one' };

    // A watermark on a picture whose pHash is far from its record's was copied onto another picture.
    if (watermark.status === 'pass' && d !== null && d > PHASH_COPIED_WATERMARK) {
      watermark = { ...watermark, status: 'fail', copied: true, detail: `the watermark of record ${record?.id} sits on a different picture (${d} of 64 pHash bits differ): it was copied` };
    }
    const signature: Check = record
      ? { status: 'pass', recordId: record.id, detail: `the hub verified the Ed25519 signature of record ${record.id} with the enrolled key of desk ${record.desk.name} when it was pushed` }
      : { status: 'absent', detail: 'no record was found, so there is no signature to check' };
    return {
      sha256,
      signature,
      watermark,
      phash,
      c2pa: { status: 'skipped', reason: 'FINGERPRINTS_ONLY', detail: 'the hub answers from fingerprints; Content Credentials are read where the file is' },
      anchor: { status: 'skipped', reason: 'NOT_ANCHORED', detail: 'this hub does not anchor records on a chain yet' },
    };
  }

  /** Aligns the query's segment pHashes with the segments of the video record most of them reach. */
  async #video(tenantId: string | null, segments: readonly string[]) {
    const perQuery: Match[][] = [];
    for (const s of segments) perQuery.push(await this.#search(tenantId, 'segments', codeFromHex(s, 64), PHASH_MAX_DISTANCE, this.maxMatches));
    const votes = new Map<string, { parentId: string; tenantId: string; count: number }>();
    perQuery.forEach((ms) => {
      const seen = new Set<string>();
      for (const m of ms) {
        const key = `${m.record.tenantId}/${m.record.parentId}`;
        if (seen.has(key) || !m.record.parentId) continue;
        seen.add(key);
        const v = votes.get(key) ?? { parentId: m.record.parentId, tenantId: m.record.tenantId, count: 0 };
        v.count++;
        votes.set(key, v);
      }
    });
    const best = [...votes.values()].sort((a, b) => b.count - a.count)[0];
    if (!best) {
      return { record: null, matches: [], summary: null, cmp: null, check: { status: 'absent', detail: 'no signed video on this hub has segments like these' } as Check };
    }
    const parent = await recordById(this.#db, best.tenantId, best.parentId);
    const segCount = await this.#db.selectFrom('records').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', best.tenantId).where('parent_id', '=', best.parentId).executeTakeFirstOrThrow();
    const total = Number(segCount.n);
    const aligned: SegmentLink[] = [];
    const statusOf = new Map<number, 'match' | 'similar'>();
    perQuery.forEach((ms, i) => {
      const m = ms.find((x) => x.record.parentId === best.parentId && x.record.tenantId === best.tenantId);
      if (!m || m.record.segmentIndex === null) return;
      aligned.push({ query: i, segment: m.record.segmentIndex, distance: m.distance });
      const prev = statusOf.get(m.record.segmentIndex);
      statusOf.set(m.record.segmentIndex, m.distance === 0 || prev === 'match' ? 'match' : 'similar');
    });
    const segs = Array.from({ length: total }, (_x, i) => ({ status: statusOf.get(i) ?? 'missing' }));
    const extra = segments.length - aligned.length;
    for (let i = 0; i < extra; i++) segs.push({ status: 'extra' });
    const coverage = total ? Math.round((statusOf.size / total) * 100) / 100 : 0;
    const matches = perQuery.flat().filter((m) => m.record.parentId === best.parentId);
    return {
      record: parent,
      matches,
      summary: { recordId: best.parentId, segmentCount: total, coverage, aligned },
      cmp: { chainIntact: false, tracedFraction: coverage, segments: segs },
      check: { status: 'pass', recordId: best.parentId, coverage, detail: `${statusOf.size} of ${total} segments of video record ${best.parentId} are found in the query's ${segments.length}` } as Check,
    };
  }
}
