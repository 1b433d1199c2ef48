// The record's own signature over the picture layout it keeps. The record signature proper covers the fingerprint
// (`sha256|phash|timestamp|signer`, from which the watermark payload derives, so it cannot grow a field); the layout
// kept in the record row is bound by a second Ed25519 signature of the same key over
// `custody-layout/1|<fingerprint>|<SHA-256 of the layout text>`. Without it, whoever could write to desk.db could
// replace a record's layout with that of an edited copy and make the edit read as a benign derivative.
import { sha256Hex } from '../media/hash.ts';
import { verify as verifyEd25519 } from '../crypto/ed25519.ts';
import type { Signer } from '../crypto/keyring.ts';
import type { SignedRecord } from '../store/records.ts';

/**
 * Records signed from this instant on carry a layout signature. The instant is inside the fingerprint the record
 * signature covers, so a record cannot be made to look older to escape the rule by dropping its layout signature.
 */
export const LAYOUT_SIGNED_SINCE = '2026-12-04T04:00:00.000Z';

export function layoutSignedBytes(fingerprint: string, layout: string): Uint8Array {
  return new TextEncoder().encode(`custody-layout/1|${fingerprint}|${sha256Hex(Buffer.from(layout, 'utf8'))}`);
}

export function signLayout(signer: Pick<Signer, 'sign'>, fingerprint: string, layout: string): string {
  return Buffer.from(signer.sign(layoutSignedBytes(fingerprint, layout))).toString('hex');
}

export type LayoutBinding =
  /** No layout kept (a video, or a record from before layouts). */
  | { status: 'none' }
  /** Signed by the record's key over this very layout. */
  | { status: 'signed'; layout: string }
  /** Kept before layouts were signed (signedAt before LAYOUT_SIGNED_SINCE): used as it is, as before. */
  | { status: 'legacy'; layout: string }
  /** Altered after signing, or its signature removed: not to be used. */
  | { status: 'invalid'; reason: 'LAYOUT_SIGNATURE_INVALID' | 'LAYOUT_SIGNATURE_MISSING'; detail: string };

export function layoutBinding(record: Pick<SignedRecord, 'id' | 'kind' | 'fingerprint' | 'publicKey' | 'signedAt' | 'details'>): LayoutBinding {
  const layout = record.details.layout;
  const signature = record.details.layoutSignature;
  if (typeof layout !== 'string') {
    // every image signed since then keeps one: a missing layout was removed, to hide where a copy was changed
    if (signature === undefined && (record.kind !== 'image' || record.signedAt < LAYOUT_SIGNED_SINCE)) return { status: 'none' };
    return { status: 'invalid', reason: 'LAYOUT_SIGNATURE_INVALID', detail: `the picture layout of record ${record.id} was removed after signing` };
  }
  if (typeof signature !== 'string') {
    if (record.signedAt < LAYOUT_SIGNED_SINCE) return { status: 'legacy', layout };
    return { status: 'invalid', reason: 'LAYOUT_SIGNATURE_MISSING', detail: `record ${record.id} keeps a picture layout without the signature every record signed since ${LAYOUT_SIGNED_SINCE} has: the record was altered` };
  }
  const ok = /^[0-9a-f]{128}$/.test(signature) &&
    verifyEd25519(Buffer.from(signature, 'hex'), layoutSignedBytes(record.fingerprint, layout), Buffer.from(record.publicKey, 'hex'));
  return ok ? { status: 'signed', layout } : { status: 'invalid', reason: 'LAYOUT_SIGNATURE_INVALID', detail: `the picture layout kept with record ${record.id} does not match its signature: it was changed after signing` };
}
