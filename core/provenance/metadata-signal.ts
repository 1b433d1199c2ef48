// The IPTC fields a verify report shows, and where they come from: the Content Credentials when they are valid and
// signed by a signer this desk trusts (what was signed, bound to these bytes, by someone it vouches for), else the
// record the copy was traced to (what its key signed with the original), else the file's own metadata, which nobody
// vouches for. Valid credentials of an untrusted signer prove only that someone signed the fields: anyone can make a
// certificate with any organisation's name and re-sign a copy with a caption of their own.
import type { ManifestReport } from '../c2pa/read.ts';
import type { ImageFormat } from '../media/detect.ts';
import { isEmptyMetadata, type PhotoMetadata } from '../media/photo-metadata.ts';
import { readPhotoMetadata } from '../media/read-metadata.ts';
import type { SignedRecord } from '../store/records.ts';
import { signedRecordMetadata } from './metadata-signature.ts';

export interface MetadataSignal {
  fields: PhotoMetadata;
  source: 'credentials' | 'record' | 'file';
}

export async function metadataSignal(manifest: ManifestReport | null, record: SignedRecord | null, bytes: Uint8Array, format: ImageFormat): Promise<MetadataSignal | undefined> {
  if (manifest?.valid && manifest.trusted && manifest.metadata && !isEmptyMetadata(manifest.metadata)) return { fields: manifest.metadata, source: 'credentials' };
  // only fields the record's key signed: a row edited in desk.db falls through to the file's own
  const recorded = record ? signedRecordMetadata(record) : null;
  if (recorded && !isEmptyMetadata(recorded)) return { fields: recorded, source: 'record' };
  const own = await readPhotoMetadata(bytes, format);
  return isEmptyMetadata(own) ? undefined : { fields: own, source: 'file' };
}
