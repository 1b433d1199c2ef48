// A signed video in the desk database: the parent record (whole file, chain hash) and one record per 5-second
// segment, from which the signed fingerprint is rebuilt at verification.
import { VIDEO_FINGERPRINT_ALGORITHM, type VideoFingerprint, type VideoSegment } from '../media/video/types.ts';
import { sql, type ReadableDB } from '../store/db.ts';
import { getRecord, type SignedRecord } from '../store/records.ts';

export interface VideoDetails {
  algorithm: string;
  durationSec: number;
  fps: number;
  codec: string;
  sampleRate: number;
  chainHash: string;
  segmentCount: number;
}

export interface SegmentDetails {
  index: number;
  start: number;
  end: number;
  frameHashes: string[];
}

/** Bitwise majority of the frames' pHashes: one 64-bit summary per segment (zeros when no frame was sampled). */
export function segmentPhash(frameHashes: readonly string[]): string {
  const counts = new Array<number>(64).fill(0);
  for (const h of frameHashes) {
    const bytes = Buffer.from(h, 'hex');
    for (let i = 0; i < 64; i++) if (bytes[i >> 3]! & (0x80 >> (i & 7))) counts[i]!++;
  }
  const out = Buffer.alloc(8);
  for (let i = 0; i < 64; i++) if (counts[i]! * 2 > frameHashes.length) out[i >> 3]! |= 0x80 >> (i & 7);
  return out.toString('hex');
}

export function videoParents(db: ReadableDB): SignedRecord[] {
  return db.all<{ id: string }>(sql`SELECT id FROM records WHERE kind = 'video' ORDER BY signed_at DESC`)
    .map((r) => getRecord(db, r.id))
    .filter((r): r is SignedRecord => r !== null);
}

export function segmentRecords(db: ReadableDB, parentId: string): SignedRecord[] {
  return db.all<{ id: string }>(sql`SELECT id FROM records WHERE parent_id = ${parentId} AND kind = 'segment'`)
    .map((r) => getRecord(db, r.id))
    .filter((r): r is SignedRecord => r !== null)
    .sort((a, b) => (a.details as unknown as SegmentDetails).index - (b.details as unknown as SegmentDetails).index);
}

/** The signed fingerprint of a video record, as fingerprintVideo gave it at signing. */
export function signedFingerprint(db: ReadableDB, parent: SignedRecord): VideoFingerprint {
  const d = parent.details as unknown as VideoDetails;
  const segments: VideoSegment[] = segmentRecords(db, parent.id).map((r) => {
    const s = r.details as unknown as SegmentDetails;
    return { index: s.index, start: s.start, end: s.end, frameHashes: s.frameHashes, hash: r.sha256 };
  });
  return {
    algorithm: VIDEO_FINGERPRINT_ALGORITHM,
    sha256: parent.sha256,
    durationSec: d.durationSec,
    fps: d.fps,
    codec: d.codec,
    width: parent.width ?? 0,
    height: parent.height ?? 0,
    sampleRate: d.sampleRate,
    segments,
    chainHash: d.chainHash,
  };
}
