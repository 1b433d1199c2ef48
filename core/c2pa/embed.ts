// Writes a signed C2PA manifest into JPEG, PNG, WebP or MP4 bytes (c2pa-rs picks the container: APP11 segments,
// a caBX chunk, a C2PA RIFF chunk, a uuid box). Returns new bytes; the input is never modified.
import { CustodyError } from '../errors.ts';
import { parseChainPem } from './certificates.ts';
import { manifestDefinition, type C2paMime, type ManifestInput } from './manifest.ts';
import { checkMedia } from './media.ts';
import { reserveWith, type C2paSigner, type CoseAddOn } from './signer.ts';
import { hasManifest } from './read.ts';
import { c2paErrorKind, c2paErrorText, loadC2pa, sourceBlob, WasmBuilder } from './wasm.ts';

function builderContext(options: EmbedOptions): string {
  // Thumbnails off: the desk keeps its own previews, and a thumbnail would put pixels of the asset in the manifest.
  const settings: Record<string, unknown> = { builder: { thumbnail: { enabled: false } } };
  // c2pa-rs re-validates what it has just signed, hashing the whole asset a second time: half the cost on a video.
  if (options.verifyAfterSign === false) settings.verify = { verify_after_sign: false };
  if (options.trustAnchorsPem?.trim()) settings.trust = { trust_anchors: parseChainPem(options.trustAnchorsPem).map((c) => c.pem).join('') };
  return JSON.stringify(settings);
}

export interface EmbedOptions {
  /**
   * Let c2pa-rs validate the signed manifest before returning it (default true). Turn off only for large assets
   * signed by a signer from createSigner, whose chain and key were validated together before any signing.
   */
  verifyAfterSign?: boolean;
  /** Headers added to the claim signature: the ML-DSA co-signature, a timestamp. */
  addOns?: readonly CoseAddOn[];
  /** Roots to judge a parent ingredient's manifest with (its validation is recorded in the ingredient). */
  trustAnchorsPem?: string;
}

/** What embedding needs of a signer: a sign worker's stand-in (render-image.ts) has no chain, only the answer's length. */
export type ClaimSigner = Pick<C2paSigner, 'algorithm' | 'reserveSize' | 'signClaim'>;

export async function embedManifest(bytes: Uint8Array, mime: C2paMime, input: ManifestInput, signer: ClaimSigner, options: EmbedOptions = {}): Promise<Uint8Array> {
  checkMedia(bytes, mime);
  const definition = manifestDefinition(mime, input);
  if (input.parent) checkMedia(input.parent.bytes, input.parent.mime);
  await loadC2pa();
  const intent = input.intent ?? 'create';
  const carries = await hasManifest(bytes, mime);
  if (intent === 'create' && carries) {
    throw new CustodyError(
      'INVALID_ARGUMENT',
      'expected media without Content Credentials for intent "create", got bytes that already carry a manifest, which signing would drop; use intent "update" (content unchanged) or "edit" with the original as parent',
    );
  }
  if (intent === 'edit' && carries) {
    throw new CustodyError('INVALID_ARGUMENT', 'expected media without Content Credentials for intent "edit" (the parent is given apart), got bytes that carry a manifest');
  }
  if (intent === 'update' && !carries) {
    throw new CustodyError('INVALID_ARGUMENT', 'expected bytes that carry a manifest for intent "update", got none; use intent "create"');
  }

  // c2pa-wasm reports a failed callback as a generic BadParam; keep the signer's own error to rethrow it.
  let signerError: unknown;
  const signerDefinition = {
    alg: signer.algorithm, // c2pa-rs parses "ed25519" and "es256"
    reserveSize: reserveWith(signer, options.addOns),
    sign: async (claim: Uint8Array): Promise<Uint8Array> => {
      try {
        return await signer.signClaim(claim, options.addOns);
      } catch (e) {
        signerError = e;
        throw e;
      }
    },
  };

  let builder: WasmBuilder;
  try {
    builder = WasmBuilder.fromJson(JSON.stringify(definition), builderContext(options));
  } catch (e) {
    throw new CustodyError('INVALID_ARGUMENT', `c2pa-rs refused the manifest definition: ${c2paErrorText(e)}`, { definition }, { cause: e });
  }
  try {
    if (intent !== 'create') builder.setIntent(intent);
    if (input.parent) {
      const parent = input.parent;
      const ingredient = JSON.stringify({ title: parent.title ?? 'parent', relationship: 'parentOf' });
      await builder.addIngredientFromBlob(ingredient, parent.mime, sourceBlob(parent.bytes));
    }
    const out = await builder.sign(signerDefinition as never, [], mime, sourceBlob(bytes));
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    if (signerError !== undefined) throw signerError;
    throw embedError(e, mime);
  } finally {
    builder.free();
  }
}

function embedError(e: unknown, mime: string): CustodyError {
  const kind = c2paErrorKind(e);
  const text = c2paErrorText(e);
  if (kind === 'InvalidAsset' || kind === 'JumbfParseError' || kind === 'UnsupportedType' || kind === 'IoError') {
    return new CustodyError('CORRUPT_MEDIA', `expected well-formed ${mime} data, but c2pa-rs could not write a manifest into it: ${text}`, undefined, {
      cause: e,
    });
  }
  if (kind === 'InvalidManifest') {
    // c2pa-rs validates what it has just signed (verify_after_sign) and refuses a manifest that fails, e.g. a
    // signature from a key that is not the certificate's. Trust is not judged here: no anchors are configured.
    const failure = /failure: \[(.*?)\] \}/s.exec(text)?.[1] ?? '';
    const codes = [...failure.matchAll(/code: "([^"]+)"/g)]
      .map((m) => m[1] as string)
      .filter((c) => c !== 'signingCredential.untrusted');
    const hint = codes.includes('claimSignature.mismatch') ? " (is the signing key the certificate's?)" : '';
    return new CustodyError(
      'INVALID_ARGUMENT',
      `expected a manifest that validates after signing, got ${codes.length ? codes.join(', ') : 'a validation failure'}${hint}`,
      { codes },
      { cause: e },
    );
  }
  return new CustodyError('INVALID_ARGUMENT', `c2pa-rs could not sign the manifest: ${text}`, undefined, { cause: e });
}
