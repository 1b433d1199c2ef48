// Two independent C2PA readers over the same bytes: c2pa-rs (as the desk's c2pa-wasm) and the pure-TypeScript
// @trustnxt/c2pa-ts. c2pa-ts has no WebP container, so WebP is handed to it through a minimal Asset that exposes
// the bytes and the manifest store (the RIFF `C2PA` chunk), and its BMFF reader is told that MP4 brands are BMFF;
// every validation rule applied is c2pa-ts's own.
import { JPEG, PNG, BMFF, type Asset } from '@trustnxt/c2pa-ts/asset';
import { SuperBox } from '@trustnxt/c2pa-ts/jumbf';
import { ManifestStore, ValidationResult } from '@trustnxt/c2pa-ts/manifest';
import { manifestStoreBytes } from '../../core/c2pa/jumbf.ts';
import type { C2paMime } from '../../core/c2pa/manifest.ts';
import { readManifest } from '../../core/c2pa/read.ts';

export interface ReaderVerdict {
  /** Present, and no failure code. */
  valid: boolean;
  failures: string[];
}

/** c2pa-rs: valid means validation state Valid or Trusted with no failure codes (trust judged with the anchors). */
export async function readWithC2paRs(bytes: Uint8Array, mime: C2paMime, trustAnchorsPem?: string): Promise<ReaderVerdict> {
  const m = await readManifest(bytes, mime, trustAnchorsPem ? { trustAnchorsPem } : {});
  if (!m) return { valid: false, failures: ['(no manifest)'] };
  return { valid: m.valid && m.validationCodes.length === 0, failures: m.validationCodes };
}

class WebpAsset implements Asset {
  readonly mimeType = 'image/webp';
  readonly #data: Uint8Array;
  constructor(data: Uint8Array) {
    this.#data = data;
  }
  getDataLength(): number {
    return this.#data.length;
  }
  getDataRange(start = 0, length?: number): Promise<Uint8Array> {
    return Promise.resolve(this.#data.subarray(start, length === undefined ? undefined : start + length));
  }
  getManifestJUMBF(): Uint8Array | undefined {
    return (manifestStoreBytes(this.#data, 'image/webp') as Uint8Array<ArrayBuffer> | null) ?? undefined;
  }
  dumpInfo(): string {
    return `WebP, ${this.#data.length} bytes`;
  }
  ensureManifestSpace(): Promise<void> {
    throw new Error('read-only');
  }
  getHashExclusionRange(): { start: number; length: number } {
    throw new Error('read-only');
  }
  writeManifestJUMBF(): Promise<void> {
    throw new Error('read-only');
  }
}

// c2pa-ts's BMFF reader accepts only HEIF brands; MP4 is the same box structure (ISO/IEC 14496-12), so its
// brands are added to the set it checks. Its BMFF hash validation (v2 and v3) is what then runs.
(BMFF as unknown as { canReadBrands: Set<string> }).canReadBrands.add('isom').add('mp41').add('mp42');

function assetOf(bytes: Uint8Array, mime: C2paMime): Asset {
  switch (mime) {
    case 'image/jpeg':
      return new JPEG(bytes);
    case 'image/png':
      return new PNG(bytes);
    case 'image/webp':
      return new WebpAsset(bytes);
    case 'video/mp4':
      return new BMFF(bytes);
  }
}

/** c2pa-ts: valid means its ValidationResult has no error entry (it does not judge the chain of trust). */
export async function readWithC2paTs(bytes: Uint8Array, mime: C2paMime): Promise<ReaderVerdict> {
  let result: ValidationResult;
  try {
    const asset = assetOf(bytes, mime);
    const jumbf = asset.getManifestJUMBF();
    if (!jumbf) return { valid: false, failures: ['(no manifest)'] };
    result = await ManifestStore.read(SuperBox.fromBuffer(jumbf as Uint8Array<ArrayBuffer>)).validate(asset);
  } catch (e) {
    result = ValidationResult.fromError(e as Error);
  }
  const failures = result.statusEntries.filter((e) => e.success === false).map((e) => `${e.code}${e.explanation ? ` (${e.explanation})` : ''}`);
  return { valid: result.isValid && failures.length === 0, failures };
}
