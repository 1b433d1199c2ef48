// The IPTC fields a verify report shows, and where they come from: the active manifest's own fields when its claim
// passed every check, valid, signed by a signer this desk trusts and, where hybrid mode applies, co-signed (what was
// signed, bound to these bytes, by someone it vouches for; a parent manifest's fields were signed by another claim,
// which the active one's signer may have taken in whatever its caption said), else the
// record the copy was traced to (what its key signed with the original), else the file's own metadata, which nobody
// vouches for. Valid credentials of an untrusted signer prove only that someone signed the fields: anyone can make a
// certificate with any organisation's name and re-sign a copy with a caption of their own.
import type { ImageFormat } from '../media/detect.ts';
import { isEmptyMetadata, type PhotoMetadata } from '../media/photo-metadata.ts';
import { readPhotoMetadata } from '../media/read-metadata.ts';
import type { SignedRecord } from '../store/records.ts';
import { signedRecordMetadata } from './metadata-signature.ts';
import type { C2paResult } from './verify-common.ts';

export interface MetadataSignal {
  fields: PhotoMetadata;
  source: 'credentials' | 'record' | 'file';
}

export async function metadataSignal(c2pa: Pick<C2paResult, 'check' | 'manifest'>, record: SignedRecord | null, bytes: Uint8Array, format: ImageFormat): Promise<MetadataSignal | undefined> {
  const m = c2pa.manifest;
  // a check that passed is valid and trusted, and its co-signature did not fail (verify-common.ts c2paCheck)
  const signed = c2pa.check.status === 'pass' && m?.valid === true && m.trusted && m.metadataManifestLabel === m.manifestLabel;
  if (signed && m.metadata && !isEmptyMetadata(m.metadata)) return { fields: m.metadata, source: 'credentials' };
  // only fields the record's key signed: a row edited in desk.db falls through to the file's own
  const recorded = record ? signedRecordMetadata(record) : null;
  if (recorded && !isEmptyMetadata(recorded)) return { fields: recorded, source: 'record' };
  const own = await readPhotoMetadata(bytes, format);
  return isEmptyMetadata(own) ? undefined : { fields: own, source: 'file' };
}
