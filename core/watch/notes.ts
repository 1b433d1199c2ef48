// What the queue writes beside the files it places: the JSON receipt of a signed file and the error note of a
// rejected one. Both are rendered from the database only, so that a replay writes the very same bytes.
import type { SignedRecord } from '../store/records.ts';
import type { WatchJob } from './jobs.ts';

export function receiptText(job: WatchJob, record: SignedRecord, outputPath: string, originalPath: string): string {
  const [status, reason] = record.watermark.split(':');
  const receipt = {
    recordId: record.id,
    input: job.sourcePath,
    relativePath: job.relPath,
    output: outputPath,
    original: originalPath,
    format: record.format,
    width: record.width,
    height: record.height,
    sha256: record.sha256,
    outputSha256: record.outputSha256,
    phash: record.phash,
    payload: record.payload,
    watermark: { status, algorithm: record.details.watermarkAlgorithm ?? null, ...(reason ? { reason } : {}) },
    c2pa: record.details.c2pa ?? null,
    fingerprint: record.fingerprint,
    signature: record.signature,
    publicKey: record.publicKey,
    keyId: record.keyId,
    signedAt: record.signedAt,
    org: record.details.org ?? null,
    // The folder's options, carried as data for the workflow and C2PA steps that will act on them.
    watch: { folderId: job.folderId, jobId: job.id, ...job.options },
  };
  return `${JSON.stringify(receipt, null, 2)}\n`;
}

/** A value on one line of a note: control characters (a newline in a dropped file's name) written as escapes, so that no name can add a line of its own. */
const oneLine = (s: string): string => [...s].map((c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? JSON.stringify(c).slice(1, -1) : c)).join('');

export function errorNoteText(job: WatchJob): string {
  const e = job.error;
  return [
    `code: ${e?.code ?? 'INTERNAL'}`,
    `error: ${oneLine(e?.message ?? 'no message was recorded')}`,
    `time: ${e?.at ?? job.updatedAt}`,
    `file: ${oneLine(job.relPath)}`,
    `sha256: ${job.sha256 ?? ''}`,
    `watched folder: ${oneLine(job.sourcePath.slice(0, job.sourcePath.length - job.relPath.length).replace(/[\\/]$/, ''))}`,
    '',
  ].join('\n');
}
