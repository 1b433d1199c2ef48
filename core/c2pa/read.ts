// Reads and validates the C2PA manifest store of JPEG, PNG, WebP or MP4 bytes with c2pa-rs, and condenses it into
// the signals the verifier needs. Offline: remote manifests are never fetched and OCSP is not consulted.
import { CustodyError } from '../errors.ts';
import { CUSTODY_ASSERTION_LABEL, parseCustodyAssertion, type CustodyAssertion } from './custody-assertion.ts';
import { ACTIONS_LABEL, SOFT_BINDING_LABEL, type C2paMime } from './manifest.ts';
import { checkMedia } from './media.ts';
import { METADATA_ASSERTION_LABEL, parseMetadataAssertion } from './metadata-assertion.ts';
import type { PhotoMetadata } from '../media/photo-metadata.ts';
import { parseChainPem } from './certificates.ts';
import { c2paErrorKind, c2paErrorText, loadC2pa, WasmReader } from './wasm.ts';

export type ValidationState = 'Invalid' | 'Valid' | 'Trusted';

export interface C2paAction {
  action: string;
  digitalSourceType?: string;
  when?: string;
  description?: string;
  softwareAgent?: { name: string; version?: string };
  parameters?: Record<string, unknown>;
}

export interface ManifestSigner {
  commonName: string | null;
  organization: string | null;
  /** Common name (else organization) of the certificate's issuer. */
  issuer: string | null;
  issuerOrganization: string | null;
  /** As c2pa-rs names it: `ed25519`, `es256`, ... */
  algorithm: string | null;
  serialNumber: string | null;
  notBefore: string | null;
  notAfter: string | null;
}

export interface SoftBindingReport {
  alg: string;
  /** The first block's value: for Custody's watermark, the payload in hex. */
  value: string;
  name: string | null;
  /** The manifest that carries it (the active one, or a parent when the active one is an update manifest). */
  manifestLabel: string;
}

export interface ManifestHistoryEntry {
  label: string;
  isUpdateManifest: boolean;
  actions: C2paAction[];
  signer: { commonName: string | null; organization: string | null };
}

export interface ManifestReport {
  /** Signature and every hash check pass: the content is what was signed (trust aside). */
  valid: boolean;
  /**
   * Valid, and the active manifest's signing certificate chains to one of the given trust anchors. (Parents'
   * signers are not re-judged: c2pa-rs keeps the validation recorded when the parent was taken in.)
   */
  trusted: boolean;
  validationState: ValidationState;
  /** c2pa-rs failure codes (e.g. `assertion.dataHash.mismatch`, `signingCredential.untrusted`), without repeats. */
  validationCodes: string[];
  /** c2pa-rs informational codes (e.g. `signingCredential.ocsp.skipped`). */
  informationalCodes: string[];
  manifestLabel: string;
  isUpdateManifest: boolean;
  title: string | null;
  claimGenerator: string | null;
  signer: ManifestSigner;
  /** Actions of the active manifest. */
  actions: C2paAction[];
  /** The active manifest and its parents, oldest first (following `parentOf` ingredients). */
  history: ManifestHistoryEntry[];
  /**
   * The Custody assertion of the active manifest, else of the nearest parent that has one. Reported whether or not
   * the manifest is valid (a tampered file still names its record); rely on it only when `valid` and `trusted`.
   */
  custody: CustodyAssertion | null;
  /** The manifest that carries `custody`: the active one, or a parent's label when the active one has none. */
  custodyManifestLabel: string | null;
  /** Why an `org.custody.provenance` assertion that is present was not accepted. */
  custodyProblem: string | null;
  softBinding: SoftBindingReport | null;
  /**
   * The IPTC fields of the `cawg.metadata` assertion of the active manifest, else of the nearest parent (a published
   * file's manifest repeats none); null when none carries one or it cannot be read.
   */
  metadata: PhotoMetadata | null;
  /**
   * The manifest that carries `metadata`. Only the active manifest's own fields are signed by the claim a verifier
   * judges; a parent's were signed by someone else (docs/pq-cosignature.md, "Edits of a Custody file").
   */
  metadataManifestLabel: string | null;
  /** c2pa-rs's message when the manifest is present but could not be parsed at all (then valid is false). */
  error: string | null;
}

export interface ReadOptions {
  /** PEM bundle of the roots to trust (the org root, imported CA roots). None: nothing is trusted. */
  trustAnchorsPem?: string;
}

/** The manifest report; null when the bytes carry no C2PA manifest (a reference to a remote one included). */
export async function readManifest(bytes: Uint8Array, mime: C2paMime, opts: ReadOptions = {}): Promise<ManifestReport | null> {
  checkMedia(bytes, mime);
  const context = readerContext(opts);
  await loadC2pa();
  let reader: WasmReader;
  try {
    reader = await WasmReader.fromBytes(mime, bytes, context);
  } catch (e) {
    const kind = c2paErrorKind(e);
    // No manifest in the file; a remote-manifest reference counts as none, since reading never goes online.
    if (kind === 'JumbfNotFound' || kind === 'ProvenanceMissing' || kind?.startsWith('RemoteManifest')) return null;
    if (kind === 'InvalidAsset' || kind === 'IoError') throw corruptMedia(e, mime);
    return unreadable(c2paErrorText(e));
  }
  try {
    return summarize(reader.manifestStore() as Store, JSON.parse(reader.crJson()) as CrJson);
  } finally {
    reader.free();
  }
}

const NO_VALIDATION_CONTEXT = JSON.stringify({ verify: { verify_after_reading: false, remote_manifest_fetch: false } });

/** Whether the bytes carry a C2PA manifest store (readable or not), found without validating it (no hashing). */
export async function hasManifest(bytes: Uint8Array, mime: C2paMime): Promise<boolean> {
  checkMedia(bytes, mime);
  await loadC2pa();
  try {
    (await WasmReader.fromBytes(mime, bytes, NO_VALIDATION_CONTEXT)).free();
    return true;
  } catch (e) {
    const kind = c2paErrorKind(e);
    if (kind === 'JumbfNotFound' || kind === 'ProvenanceMissing') return false;
    if (kind === 'InvalidAsset' || kind === 'IoError') throw corruptMedia(e, mime);
    return true; // a manifest store is there, even if c2pa-rs cannot parse it
  }
}

function corruptMedia(e: unknown, mime: string): CustodyError {
  return new CustodyError('CORRUPT_MEDIA', `expected well-formed ${mime} data, got data c2pa-rs cannot parse: ${c2paErrorText(e)}`, undefined, {
    cause: e,
  });
}

function readerContext(opts: ReadOptions): string {
  const settings: Record<string, unknown> = {
    verify: { remote_manifest_fetch: false, ocsp_fetch: false },
  };
  const anchors = opts.trustAnchorsPem?.trim();
  if (anchors) {
    // Re-joined one certificate per block: c2pa-rs misses a certificate whose BEGIN line follows the previous END
    // on the same line (what concatenating PEM files without final newlines gives), and trusts it no more.
    settings.trust = { trust_anchors: parseChainPem(anchors).map((c) => c.pem).join('') };
  }
  return JSON.stringify(settings);
}

// --- the shapes c2pa-rs returns (only what is used) -------------------------------------------------------------

interface StatusEntry {
  code: string;
}
interface StatusLists {
  success?: StatusEntry[];
  informational?: StatusEntry[];
  failure?: StatusEntry[];
}
interface StoreManifest {
  label?: string;
  title?: string;
  claim_generator_info?: { name?: string; version?: string }[];
  assertions?: { label: string; data: unknown }[];
  ingredients?: { relationship?: string; active_manifest?: string }[];
}
interface Store {
  active_manifest?: string;
  manifests?: Record<string, StoreManifest>;
  validation_results?: { activeManifest?: StatusLists; ingredientDeltas?: { validationDeltas?: StatusLists }[] };
  validation_state?: string;
}
interface CrJsonName {
  CN?: string;
  O?: string;
}
interface CrJson {
  manifests?: {
    label?: string;
    isUpdateManifest?: boolean;
    signature?: {
      algorithm?: string;
      certificateInfo?: {
        serialNumber?: string;
        issuer?: CrJsonName;
        subject?: CrJsonName;
        validity?: { notBefore?: string; notAfter?: string };
      };
    };
  }[];
}

function summarize(store: Store, cr: CrJson): ManifestReport {
  const label = store.active_manifest;
  const active = label ? store.manifests?.[label] : undefined;
  if (!label || !active) return unreadable('the manifest store names no active manifest');
  const crManifests = new Map((cr.manifests ?? []).map((m) => [m.label ?? '', m]));

  const chain = manifestChain(store, label);
  const history: ManifestHistoryEntry[] = chain
    .map(([l, m]) => {
      const cert = crManifests.get(l)?.signature?.certificateInfo;
      return {
        label: l,
        isUpdateManifest: crManifests.get(l)?.isUpdateManifest === true,
        actions: actionsOf(m),
        signer: { commonName: cert?.subject?.CN ?? null, organization: cert?.subject?.O ?? null },
      };
    })
    .reverse();

  let custody: CustodyAssertion | null = null;
  let custodyManifestLabel: string | null = null;
  let custodyProblem: string | null = null;
  let softBinding: SoftBindingReport | null = null;
  let metadata: PhotoMetadata | null = null;
  let metadataManifestLabel: string | null = null;
  for (const [l, m] of chain) {
    if (!metadata) {
      const data = assertionData(m, METADATA_ASSERTION_LABEL);
      if (data !== undefined) {
        try {
          metadata = parseMetadataAssertion(data);
          metadataManifestLabel = l;
        } catch {
          metadata = null;
        }
      }
    }
    if (!custody && !custodyProblem) {
      const data = assertionData(m, CUSTODY_ASSERTION_LABEL);
      if (data !== undefined) {
        ({ assertion: custody, problem: custodyProblem } = parseCustodyAssertion(data));
        custodyManifestLabel = l;
      }
    }
    softBinding ??= softBindingOf(m, l);
  }

  const results = store.validation_results;
  const lists = [results?.activeManifest, ...(results?.ingredientDeltas ?? []).map((d) => d.validationDeltas)];
  const codes = (k: keyof StatusLists) => [...new Set(lists.flatMap((s) => (s?.[k] ?? []).map((e) => e.code)))];
  const state: ValidationState =
    store.validation_state === 'Trusted' ? 'Trusted' : store.validation_state === 'Valid' ? 'Valid' : 'Invalid';
  const cert = crManifests.get(label)?.signature;
  const info = cert?.certificateInfo;
  const generator = active.claim_generator_info?.[0];
  return {
    valid: state !== 'Invalid',
    trusted: state === 'Trusted',
    validationState: state,
    validationCodes: codes('failure'),
    informationalCodes: codes('informational'),
    manifestLabel: label,
    isUpdateManifest: crManifests.get(label)?.isUpdateManifest === true,
    title: active.title ?? null,
    claimGenerator: generator?.name ? `${generator.name}${generator.version ? ` ${generator.version}` : ''}` : null,
    signer: {
      commonName: info?.subject?.CN ?? null,
      organization: info?.subject?.O ?? null,
      issuer: info?.issuer?.CN ?? info?.issuer?.O ?? null,
      issuerOrganization: info?.issuer?.O ?? null,
      algorithm: cert?.algorithm ?? null,
      serialNumber: info?.serialNumber ?? null,
      notBefore: info?.validity?.notBefore ?? null,
      notAfter: info?.validity?.notAfter ?? null,
    },
    actions: actionsOf(active),
    history,
    custody,
    custodyManifestLabel,
    custodyProblem,
    softBinding,
    metadata,
    metadataManifestLabel,
    error: null,
  };
}

/** The active manifest, then its parentOf ingredient's manifest, and so on (cycles and depth bounded). */
function manifestChain(store: Store, label: string): [string, StoreManifest][] {
  const out: [string, StoreManifest][] = [];
  const seen = new Set<string>();
  let next: string | undefined = label;
  while (next && !seen.has(next) && out.length < 64) {
    const m: StoreManifest | undefined = store.manifests?.[next];
    if (!m) break;
    seen.add(next);
    out.push([next, m]);
    next = m.ingredients?.find((i) => i.relationship === 'parentOf')?.active_manifest;
  }
  return out;
}

function assertionData(m: StoreManifest, label: string): unknown {
  return m.assertions?.find((a) => a.label === label)?.data;
}

function actionsOf(m: StoreManifest): C2paAction[] {
  const a = m.assertions?.find((x) => x.label === ACTIONS_LABEL || x.label === `${ACTIONS_LABEL}.v2`);
  const list = (a?.data as { actions?: unknown } | undefined)?.actions;
  if (!Array.isArray(list)) return [];
  return list
    .filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null && typeof x.action === 'string')
    .map((x) => {
      const out: C2paAction = { action: x.action as string };
      if (typeof x.digitalSourceType === 'string') out.digitalSourceType = x.digitalSourceType;
      if (typeof x.when === 'string') out.when = x.when;
      if (typeof x.description === 'string') out.description = x.description;
      const agent = x.softwareAgent;
      if (typeof agent === 'string') out.softwareAgent = { name: agent };
      else if (typeof agent === 'object' && agent !== null && typeof (agent as { name?: unknown }).name === 'string') {
        const { name, version } = agent as { name: string; version?: unknown };
        out.softwareAgent = typeof version === 'string' ? { name, version } : { name };
      }
      if (typeof x.parameters === 'object' && x.parameters !== null) out.parameters = x.parameters as Record<string, unknown>;
      return out;
    });
}

function softBindingOf(m: StoreManifest, label: string): SoftBindingReport | null {
  const data = assertionData(m, SOFT_BINDING_LABEL) as { alg?: unknown; name?: unknown; blocks?: unknown } | undefined;
  if (!data || typeof data.alg !== 'string' || !Array.isArray(data.blocks)) return null;
  const first = data.blocks[0] as { value?: unknown } | undefined;
  if (typeof first?.value !== 'string') return null;
  return { alg: data.alg, value: first.value, name: typeof data.name === 'string' ? data.name : null, manifestLabel: label };
}

function unreadable(error: string): ManifestReport {
  return {
    valid: false,
    trusted: false,
    validationState: 'Invalid',
    // The closest C2PA status code for a manifest store that is present but cannot be parsed.
    validationCodes: ['claim.malformed'],
    informationalCodes: [],
    manifestLabel: '',
    isUpdateManifest: false,
    title: null,
    claimGenerator: null,
    signer: {
      commonName: null,
      organization: null,
      issuer: null,
      issuerOrganization: null,
      algorithm: null,
      serialNumber: null,
      notBefore: null,
      notAfter: null,
    },
    actions: [],
    history: [],
    custody: null,
    metadata: null,
    metadataManifestLabel: null,
    custodyManifestLabel: null,
    custodyProblem: null,
    softBinding: null,
    error,
  };
}
