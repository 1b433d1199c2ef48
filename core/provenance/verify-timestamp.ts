// The time-stamp part of verification: the stamp over the active manifest's claim signature, embedded (sigTst2) or
// kept by this desk when it was obtained after signing, judged against the configured TSA roots; and, since
// c2pa-rs takes one trust list for signers and TSAs alike, the check that a trusted manifest's signer chains to a
// content-signing root and not merely to a TSA root.
import { decodeCoseSign1 } from '../c2pa/cose.ts';
import { parseChainPem } from '../c2pa/certificates.ts';
import type { RawManifest } from '../c2pa/jumbf.ts';
import { checkTimestamp, stampedBytes, tokenFromCose, type TimestampResult } from '../c2pa/timestamp-check.ts';
import { x509 } from '../c2pa/x509.ts';
import { sql, type ReadableDB } from '../store/db.ts';

export async function timestampResult(raw: RawManifest | null, db: ReadableDB, anchorsPem: string | null): Promise<TimestampResult> {
  if (!raw) return { status: 'absent', reason: 'TSA_ABSENT', detail: 'no claim signature to find a time-stamp on' };
  let data: Uint8Array;
  try {
    data = stampedBytes(raw);
  } catch {
    return { status: 'absent', reason: 'TSA_ABSENT', detail: 'the claim signature is not a COSE_Sign1' };
  }
  const embedded = tokenFromCose(raw.signature);
  if (embedded) return checkTimestamp(embedded, data, anchorsPem, 'manifest');
  // A stamp obtained after signing, over these very bytes (the lookup is by the bytes, so no other record's counts).
  const kept = db.all<{ token: Uint8Array | null; attempts: number; last_error: string | null }>(
    sql`SELECT token, attempts, last_error FROM record_timestamps WHERE stamped = ${data} ORDER BY token IS NULL`,
  )[0];
  if (kept?.token) return checkTimestamp(new Uint8Array(kept.token), data, anchorsPem, 'desk');
  if (kept) {
    return { status: 'absent', reason: 'TSA_ABSENT', detail: `no time-stamp yet: the TSA did not answer at signing and ${kept.attempts} later attempt(s) failed (${kept.last_error ?? 'not tried yet'}); custody timestamps stamp` };
  }
  return { status: 'absent', reason: 'TSA_ABSENT', detail: 'the claim signature is not time-stamped' };
}

/**
 * Whether the manifest's certificate chain ends at (or under) one of `anchorsPem`: its last certificate is an anchor
 * or is signed by one. c2pa-rs has already checked the rest of the chain.
 */
export async function chainsTo(raw: RawManifest, anchorsPem: string): Promise<boolean> {
  let chain: Uint8Array[];
  try {
    chain = decodeCoseSign1(raw.signature).chainDer;
  } catch {
    return false;
  }
  const last = chain.at(-1);
  if (!last) return false;
  const top = new x509.X509Certificate(new Uint8Array(last));
  for (const a of parseChainPem(anchorsPem)) {
    const anchor = new x509.X509Certificate(a.der);
    if (Buffer.from(anchor.rawData).equals(Buffer.from(top.rawData))) return true;
    if (top.issuer === anchor.subject && (await top.verify({ publicKey: anchor.publicKey, signatureOnly: true }).catch(() => false))) return true;
  }
  return false;
}
