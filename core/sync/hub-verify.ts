// Verification through the hub (DESIGN.md "Verify"): the desk sends the copy's fingerprints only — SHA-256, the
// watermark payload it read, the pHash — never the file, and the hub answers from every desk of the organisation.
// So a copy signed on another desk is recognised here ("signed by desk X of org Y at T"). Offline, the local answer
// stands and the report says the hub was not reached.
import { z } from 'zod';
import type { VerifyReport } from '../provenance/checks.ts';
import type { HubClient } from './hub-client.ts';

export interface HubQuery {
  sha256?: string;
  payload?: string;
  /**
   * `payload` was not read: the copy's mark was too faint, and its record's whole pattern was matched in it (the
   * watermark check's `matched`). The hub then claims no bits for it, as the desk's own verdict does not.
   */
  payloadMatched?: true;
  phash?: string;
}

/** What the hub said about a copy, in the words the report shows. */
export interface HubAnswer {
  reached: true;
  url: string;
  verdict: 'authentic' | 'derived' | 'tampered' | 'unknown';
  confidence: number;
  /** The record the hub traced the copy to, and who signed it. */
  record: { id: string; org: string; desk: { id: string; name: string; revokedAt: string | null }; signedAt: string; receivedAt: string; kind: string; manifestId: string | null } | null;
  /** Which signals matched on the hub, at what distance. */
  matches: { signal: string; distance: number; recordId: string; desk: string; matched?: true }[];
  /** The record was signed on another desk of the organisation. */
  otherDesk: boolean;
  /** One sentence for people. */
  summary: string;
  /** Exactly what was sent: fingerprints, never the file. */
  sent: HubQuery;
}

export interface HubMiss {
  reached: false;
  url: string | null;
  reason: string;
  summary: string;
}

export type HubVerification = HubAnswer | HubMiss;

const HEX64 = /^[0-9a-f]{64}$/;
const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

/** The fingerprints a local report computed, as a hub query (null when it holds none the hub can use). */
export function hubQueryOf(report: VerifyReport): HubQuery | null {
  const q: HubQuery = {};
  const sha = report.checks.sha256.sha256;
  if (typeof sha === 'string' && HEX64.test(sha)) q.sha256 = sha;
  const payload = report.checks.watermark.payload;
  if (typeof payload === 'string' && HEX32.test(payload)) {
    q.payload = payload;
    if (report.checks.watermark.matched === true) q.payloadMatched = true;
  }
  const phash = report.checks.phash.phash;
  if (typeof phash === 'string' && HEX16.test(phash)) q.phash = phash;
  return Object.keys(q).length ? q : null;
}

export function hubMiss(url: string | null, reason: string): HubMiss {
  return { reached: false, url, reason, summary: `the hub was not reached (${reason}): this answer is this desk's alone` };
}

const SummarySchema = z.object({
  id: z.string(),
  org: z.string(),
  desk: z.object({ id: z.string(), name: z.string(), revokedAt: z.string().nullable() }),
  signedAt: z.string(),
  receivedAt: z.string(),
  kind: z.string(),
  manifestId: z.string().nullable().default(null),
});

/**
 * The hub's answer as the desk reads it: a verdict of the four the hub decides, and every record it names whole. A
 * verdict other than `unknown` must name the record it traced the copy to. Anything else is no answer (a HubMiss),
 * never an exception that would cost the report the desk's own verdict.
 */
const HubAnswerSchema = z.object({
  verdict: z.enum(['authentic', 'derived', 'tampered', 'unknown']),
  confidence: z.number().default(0),
  record: SummarySchema.nullable().default(null),
  matches: z.array(z.object({ signal: z.string(), distance: z.number(), matched: z.literal(true).optional(), record: SummarySchema })).default([]),
  publication: z.object({ id: z.string(), publishedAt: z.string() }).optional(),
}).refine((b) => b.verdict === 'unknown' || b.record !== null, { message: 'a verdict other than unknown that names no record' });

/** Asks the hub about one copy. Never throws for a network failure: that is a HubMiss the report shows. */
export async function verifyWithHub(client: HubClient, query: HubQuery, ownDeskId: string | null, signal?: AbortSignal): Promise<HubVerification> {
  let o = await client.request('POST', '/v1/verify', query, signal);
  // A hub from before `payloadMatched` refuses the field. It is not sent the matched payload without it (it would
  // answer as though every bit had been read): the copy is asked about by its other fingerprints.
  if (query.payloadMatched && o.kind !== 'unreachable' && o.status === 400 && typeof o.body.message === 'string' && o.body.message.includes('payloadMatched')) {
    const { payload: _p, payloadMatched: _m, ...older } = query;
    query = older;
    if (Object.keys(query).length === 0) return hubMiss(client.base, 'the hub is older than this desk and cannot be asked about a watermark matched rather than read, and the copy gave no other fingerprint');
    o = await client.request('POST', '/v1/verify', query, signal);
  }
  if (o.kind === 'unreachable') return hubMiss(client.base, o.reason);
  if (o.status !== 200) return hubMiss(client.base, `${typeof o.body.code === 'string' ? o.body.code : `HTTP ${o.status}`}: ${typeof o.body.message === 'string' ? o.body.message : 'refused'}`);
  const parsed = HubAnswerSchema.safeParse(o.body);
  if (!parsed.success) return hubMiss(client.base, `the hub's answer is not one: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'answer'}: ${i.message}`).join('; ').slice(0, 300)}`);
  const b = parsed.data;
  const r = b.record;
  const record = r ? { id: r.id, org: r.org, desk: r.desk, signedAt: r.signedAt, receivedAt: r.receivedAt, kind: r.kind, manifestId: r.manifestId } : null;
  const verdict = b.verdict;
  const otherDesk = record !== null && ownDeskId !== null && record.desk.id !== ownDeskId;
  const summary = record
    ? `${verdict}: ${b.publication ? `the file published as ${b.publication.id} at ${b.publication.publishedAt}, ` : ''}signed by desk ${record.desk.name} of ${record.org} at ${record.signedAt}${otherDesk ? ' (another desk of the organisation)' : ''}${record.desk.revokedAt ? `; that desk was revoked at ${record.desk.revokedAt}` : ''}`
    : `${verdict}: no desk of the organisation signed this copy`;
  return {
    reached: true,
    url: client.base,
    verdict,
    confidence: b.confidence,
    record,
    matches: b.matches.map((m) => ({ signal: m.signal, distance: m.distance, recordId: m.record.id, desk: m.record.desk.name, ...(m.matched ? { matched: true as const } : {}) })),
    otherDesk,
    summary,
    sent: query,
  };
}
