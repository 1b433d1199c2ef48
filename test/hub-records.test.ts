// The hub record's canonical body and its log leaf (core/sync/hub-records.ts canonicalRecord, core/tlog/leaves.ts
// leafBytes) are written member by member for ingest's speed; they must be the bytes the generic RFC 8785 writer
// (core/audit/canonical-json.ts) gives for the same value, for every kind of record and every awkward value the
// schema lets through, and anything off the schema's shape must still get the generic writer's answer or refusal.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../core/audit/canonical-json.ts';
import { newRecordId } from '../core/provenance/fingerprint.ts';
import { canonicalRecord, HubRecordSchema, type HubRecord } from '../core/sync/hub-records.ts';
import { leafBytes, recordLeafFrom } from '../core/tlog/leaves.ts';
import { sha256Hex } from '../core/media/hash.ts';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

/** What canonicalRecord must write: the generic writer over the record without its record signature, its manifest store hashed. */
function generic(r: HubRecord): string {
  const { manifest, recordSignature: _, ...rest } = r;
  return canonicalJson({ ...rest, manifest: manifest ? { id: manifest.id, sha256: sha256Hex(Buffer.from(manifest.data, 'base64')) } : null });
}

function randomRecord(): HubRecord {
  const kind = pick(['image', 'video', 'segment'] as const);
  return HubRecordSchema.parse({
    id: newRecordId(),
    kind,
    parentId: kind === 'segment' ? newRecordId() : null,
    sha256: hex(32),
    outputSha256: pick([null, hex(32)]),
    phash: kind === 'video' ? hex(32) : hex(8),
    payload: pick([null, hex(16)]),
    signedAt: new Date(Math.floor(Math.random() * 4e12)).toISOString(),
    publicKey: hex(32),
    signature: hex(64),
    recordSignature: hex(64),
    format: pick(['jpeg', 'mp4', ' ', '"q"', 'a\\b', 'é漢🙂', '\u0000\u001f\u007f', '\u2028x', 'x'.repeat(16)]),
    width: pick([null, 0, 4000, 1_000_000]),
    height: pick([null, 0, 3000, 1_000_000]),
    segment: kind === 'segment' ? { index: Math.floor(Math.random() * 100), start: pick([0, 0.5, 1e-7, 123.456, 1e21]), end: pick([1e21, 2.5, 1 / 3, 5e-324 + 1e21]) } : null,
    manifest: pick([null, { id: pick(['urn:c2pa:1234', '"\\~!', 'x']), data: randomBytes(Math.floor(Math.random() * 100)).toString('base64') }]),
  });
}

describe('canonical record and leaf bytes', () => {
  it('are the generic RFC 8785 writer\'s bytes for random records of every kind', () => {
    for (let i = 0; i < 3000; i++) {
      const r = randomRecord();
      const body = canonicalRecord(r);
      expect(body).toBe(generic(r));
      const leaf = recordLeafFrom(r, sha256Hex(body));
      expect(leaf.v).toBe(2);
      expect(Buffer.from(leafBytes(leaf)).toString()).toBe(canonicalJson(leaf));
      // A record stored before desks signed whole records keeps its version 1 leaf.
      const v1 = recordLeafFrom({ ...r, recordSignature: null }, sha256Hex(body));
      expect(v1.v).toBe(1);
      expect(Buffer.from(leafBytes(v1)).toString()).toBe(canonicalJson(v1));
    }
  });

  it('falls back to the generic writer off the schema\'s shape, refusals included', () => {
    const r = randomRecord();
    const extra = { ...r, extra: 1 } as unknown as HubRecord;
    expect(canonicalRecord(extra)).toBe(generic(extra));
    expect(canonicalRecord(extra)).toContain('"extra":1');
    const missing = { ...r, width: undefined } as unknown as HubRecord;
    expect(canonicalRecord(missing)).toBe(generic(missing));
    expect(canonicalRecord(missing)).not.toContain('width');
    const lone = { ...r, format: 'a\uD800' };
    expect(() => canonicalRecord(lone)).toThrow(/lone surrogate/);
    const infinite = { ...r, kind: 'segment' as const, segment: { index: 0, start: 0, end: Infinity } };
    expect(() => canonicalRecord(infinite)).toThrow(/finite number/);
    const leaf = recordLeafFrom(r, hex(32));
    const odd = { ...leaf, v: 3 } as unknown as typeof leaf;
    expect(Buffer.from(leafBytes(odd)).toString()).toBe(canonicalJson(odd));
    const v1WithSignature = { ...leaf, v: 1 } as unknown as typeof leaf;
    expect(Buffer.from(leafBytes(v1WithSignature)).toString()).toBe(canonicalJson(v1WithSignature));
    const { recordSignature: _, ...v2WithoutSignature } = leaf as Extract<typeof leaf, { v: 2 }>;
    expect(Buffer.from(leafBytes(v2WithoutSignature as typeof leaf)).toString()).toBe(canonicalJson(v2WithoutSignature));
    const loneLeaf = { ...leaf, signedAt: '\uDC00' };
    expect(() => leafBytes(loneLeaf)).toThrow(/lone surrogate/);
  });
});
