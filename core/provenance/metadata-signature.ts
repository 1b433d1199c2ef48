// The record's own signature over the IPTC fields it keeps, as layout-signature.ts does for the picture layout:
// the record signature proper covers only the fingerprint, so the fields kept in the record row are bound by a
// second Ed25519 signature of the same key over `custody-metadata/1|<fingerprint>|<SHA-256 of their canonical JSON>`.
// Without it, whoever could write to desk.db could re-caption a signed picture in the library and in verify.
import { canonicalJson } from '../audit/canonical-json.ts';
import { verify as verifyEd25519 } from '../crypto/ed25519.ts';
import type { Signer } from '../crypto/keyring.ts';
import { sha256Hex } from '../media/hash.ts';
import { normaliseMetadata, type PhotoMetadata } from '../media/photo-metadata.ts';
import type { SignedRecord } from '../store/records.ts';

function signedBytes(fingerprint: string, metadata: PhotoMetadata): Uint8Array {
  return new TextEncoder().encode(`custody-metadata/1|${fingerprint}|${sha256Hex(Buffer.from(canonicalJson(metadata), 'utf8'))}`);
}

export function signMetadata(signer: Pick<Signer, 'sign'>, fingerprint: string, metadata: PhotoMetadata): string {
  return Buffer.from(signer.sign(signedBytes(fingerprint, metadata))).toString('hex');
}

/** The fields a record keeps when its key signed them; null when it keeps none, or they were changed or unsigned. */
export function signedRecordMetadata(record: Pick<SignedRecord, 'fingerprint' | 'publicKey' | 'details'>): PhotoMetadata | null {
  const { metadata, metadataSignature } = record.details;
  if (typeof metadata !== 'object' || metadata === null || typeof metadataSignature !== 'string' || !/^[0-9a-f]{128}$/.test(metadataSignature)) return null;
  let fields: PhotoMetadata;
  try {
    fields = normaliseMetadata(metadata);
  } catch {
    return null;
  }
  const ok = verifyEd25519(Buffer.from(metadataSignature, 'hex'), signedBytes(record.fingerprint, metadata as PhotoMetadata), Buffer.from(record.publicKey, 'hex'));
  return ok ? fields : null;
}
