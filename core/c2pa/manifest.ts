// What Custody writes into a C2PA manifest, and its translation into a c2pa-rs ManifestDefinition:
// - `c2pa.actions` (C2PA spec §18.15): `c2pa.created` (with an IPTC digital source type when the desk knows one),
//   then any further actions, each naming Custody and its version as the software agent;
// - the Custody assertion (`org.custody.provenance`, see custody-assertion.ts);
// - `c2pa.soft-binding` (C2PA spec §18.8) naming the watermark algorithm and carrying its payload;
// - `cawg.metadata` with the IPTC fields the signer set (metadata-assertion.ts).
// All four are Custody's own statements: under claim v2 they are `created_assertions`, not gathered ones.
import { WATERMARK_ALGORITHM } from '../media/watermark/codec.ts';
import { CustodyError } from '../errors.ts';
import { CUSTODY_VERSION } from '../version.ts';
import { CUSTODY_ASSERTION_LABEL, validateCustodyAssertion, type CustodyAssertion } from './custody-assertion.ts';
import { METADATA_ASSERTION_LABEL, metadataAssertionData } from './metadata-assertion.ts';
import { normaliseMetadata, type PhotoMetadata } from '../media/photo-metadata.ts';

/** Custody as the software agent of the actions it performs, and as the claim generator. */
export const CUSTODY_AGENT: { name: string; version: string } = { name: 'Custody', version: CUSTODY_VERSION };

/** IPTC NewsCodes digital source type for a photo or video taken by a camera. */
export const DIGITAL_CAPTURE = 'http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture';
const IPTC_SOURCE_TYPE = /^https?:\/\/cv\.iptc\.org\/newscodes\/digitalsourcetype\/[A-Za-z]+$/;

/**
 * Soft-binding algorithm name of Custody's DWT+DCT watermark. It is not on the C2PA soft-binding algorithm list,
 * so it uses an entity-specific (reverse-domain) name with a version suffix, as the list's own entries do.
 */
/** The watermark the soft binding names by default: the codec's own identifier, so the two never drift apart. */
export const CUSTODY_WATERMARK_ALG = WATERMARK_ALGORITHM;
export const SOFT_BINDING_LABEL = 'c2pa.soft-binding';
export const ACTIONS_LABEL = 'c2pa.actions';

export const C2PA_MIME_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'video/mp4'] as const;
export type C2paMime = (typeof C2PA_MIME_TYPES)[number];

export function isC2paMime(x: unknown): x is C2paMime {
  return typeof x === 'string' && (C2PA_MIME_TYPES as readonly string[]).includes(x);
}

export interface C2paActionInput {
  /** e.g. `c2pa.published`, `c2pa.watermarked.bound`, `c2pa.edited`; `c2pa.created` is added by Custody itself. */
  action: string;
  /** ISO-8601 instant. */
  when?: string;
  description?: string;
  softwareAgent?: { name: string; version?: string };
  parameters?: Record<string, unknown>;
}

export interface SoftBindingInput {
  /** Default `CUSTODY_WATERMARK_ALG`. */
  alg?: string;
  /** The watermark payload, hex (even length). Written as the soft binding's value, which is algorithm-specific. */
  payloadHex: string;
  /** Human-readable note on what the binding covers. */
  name?: string;
}

export interface ManifestInput {
  /**
   * `create` (default): Custody is the first to credential this content; the actions open with `c2pa.created` and
   *   its IPTC digital source type. Refused when the bytes already carry a manifest, which would be dropped.
   * `edit`: the content was derived from `parent` (e.g. the watermarked re-encode of an original that came with
   *   camera credentials); c2pa-rs records the parent as a `parentOf` ingredient, carrying its manifest along,
   *   and opens the actions with `c2pa.opened`.
   * `update`: the content is unchanged since the manifest already in the bytes (e.g. publication after approval);
   *   c2pa-rs writes an update manifest whose parent is that manifest, opening the actions with `c2pa.opened`.
   */
  intent?: 'create' | 'edit' | 'update';
  /** For `edit`: the asset this one was derived from. */
  parent?: { bytes: Uint8Array; mime: C2paMime; title?: string };
  title?: string;
  /** Written as `claim_generator_info` and as the software agent of `c2pa.created`; default `CUSTODY_AGENT`. */
  generator?: { name: string; version?: string };
  /**
   * IPTC digital source type of `c2pa.created` (intent `create` only), from what the desk knows (a camera's EXIF, a
   * choice at signing, a watched folder's setting); left out when unknown rather than guessed.
   */
  digitalSourceType?: string;
  /** `when` of `c2pa.created` (intent `create` only), ISO-8601. */
  createdAt?: string;
  /** Further actions, after `c2pa.created` / `c2pa.opened`. `c2pa.watermarked.bound` requires `softBinding`. */
  actions?: C2paActionInput[];
  custody?: CustodyAssertion;
  softBinding?: SoftBindingInput;
  /** The IPTC fields the signer set (headline, caption, byline, …), as a `cawg.metadata` assertion. */
  metadata?: PhotoMetadata;
}

const ACTION_NAME = /^[a-z][a-z0-9]*(?:\.[a-z0-9_-]+)+$/i;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/** The c2pa-rs ManifestDefinition (its JSON form) for an input; validates the input on the way. */
export function manifestDefinition(mime: C2paMime, input: ManifestInput): Record<string, unknown> {
  if (typeof input !== 'object' || input === null) {
    throw new CustodyError('INVALID_ARGUMENT', `expected a manifest input object, got ${input === null ? 'null' : typeof input}`);
  }
  const intent = input.intent ?? 'create';
  if (intent !== 'create' && intent !== 'edit' && intent !== 'update') {
    throw new CustodyError('INVALID_ARGUMENT', `expected intent "create", "edit" or "update", got ${JSON.stringify(intent)}`);
  }
  if ((intent === 'edit') !== (input.parent !== undefined)) {
    throw new CustodyError(
      'INVALID_ARGUMENT',
      intent === 'edit' ? 'expected a parent asset with intent "edit", got none' : `expected no parent asset with intent "${intent}", got one`,
    );
  }
  const generator = input.generator ?? CUSTODY_AGENT;
  if (typeof generator.name !== 'string' || generator.name.trim() === '') {
    throw new CustodyError('INVALID_ARGUMENT', `expected a generator name, got ${JSON.stringify(generator.name)}`);
  }
  const agent = compact({ name: generator.name, version: generator.version });
  const actions: Record<string, unknown>[] = [];
  if (intent === 'create') {
    const digitalSourceType = input.digitalSourceType;
    if (digitalSourceType === undefined) {
      throw new CustodyError(
        'INVALID_ARGUMENT',
        'expected a digital source type for c2pa.created (C2PA 2.x requires one), got none; when it is not known, use intent "edit" with the original as parent (c2pa.opened)',
      );
    }
    if (!IPTC_SOURCE_TYPE.test(digitalSourceType)) {
      throw new CustodyError(
        'INVALID_ARGUMENT',
        `expected an IPTC digital source type URI (${DIGITAL_CAPTURE} or a sibling), got ${JSON.stringify(digitalSourceType)}`,
      );
    }
    actions.push(
      compact({ action: 'c2pa.created', digitalSourceType, softwareAgent: agent, when: input.createdAt === undefined ? undefined : instant(input.createdAt, 'createdAt') }),
    );
  } else if (input.digitalSourceType !== undefined || input.createdAt !== undefined) {
    throw new CustodyError(
      'INVALID_ARGUMENT',
      `expected no digitalSourceType or createdAt with intent "${intent}": they describe c2pa.created, and c2pa-rs opens this manifest with c2pa.opened`,
    );
  }
  for (const [i, a] of (input.actions ?? []).entries()) actions.push(actionDefinition(a, i));
  if (actions.some((a) => a.action === 'c2pa.watermarked.bound') && input.softBinding === undefined) {
    throw new CustodyError('INVALID_ARGUMENT', 'expected a softBinding with the c2pa.watermarked.bound action (C2PA requires the binding it names), got none');
  }

  // `created: true`: c2pa-rs lists the assertion among the claim's created_assertions (C2PA 2.x §10.3.2).
  const assertions: Record<string, unknown>[] = actions.length > 0 ? [{ label: ACTIONS_LABEL, data: { actions }, created: true }] : [];
  if (input.custody !== undefined) {
    assertions.push({ label: CUSTODY_ASSERTION_LABEL, data: validateCustodyAssertion(input.custody), created: true });
  }
  if (input.softBinding !== undefined) assertions.push({ label: SOFT_BINDING_LABEL, data: softBindingData(input.softBinding), created: true });
  const metadata = input.metadata === undefined ? null : metadataAssertionData(normaliseMetadata(input.metadata));
  // JSON-LD in a JSON box (the CAWG assertion's serialisation), which c2pa-ts requires of metadata assertions.
  if (metadata) assertions.push({ label: METADATA_ASSERTION_LABEL, data: metadata, kind: 'Json', created: true });

  return compact({
    claim_generator_info: [agent],
    title: input.title,
    format: mime,
    assertions,
  });
}

function actionDefinition(a: C2paActionInput, i: number): Record<string, unknown> {
  if (typeof a !== 'object' || a === null || typeof a.action !== 'string' || !ACTION_NAME.test(a.action)) {
    throw new CustodyError('INVALID_ARGUMENT', `expected actions[${i}].action to be a name like "c2pa.published", got ${JSON.stringify(a?.action)}`);
  }
  if (a.action === 'c2pa.created' || a.action === 'c2pa.opened') {
    throw new CustodyError('INVALID_ARGUMENT', `expected actions[${i}] to follow the first action, got ${a.action}, which only opens a manifest`);
  }
  if (a.softwareAgent !== undefined && (typeof a.softwareAgent.name !== 'string' || a.softwareAgent.name === '')) {
    throw new CustodyError('INVALID_ARGUMENT', `expected actions[${i}].softwareAgent.name, got ${JSON.stringify(a.softwareAgent)}`);
  }
  return compact({
    action: a.action,
    when: a.when === undefined ? undefined : instant(a.when, `actions[${i}].when`),
    description: a.description,
    softwareAgent: a.softwareAgent && compact({ name: a.softwareAgent.name, version: a.softwareAgent.version }),
    parameters: a.parameters,
  });
}

/**
 * The soft-binding-map of C2PA 2.x: `alg`, one block whose empty scope means the whole asset, the payload as the
 * block's value, and `pad`. The spec's `pad` is a bstr; c2pa-wasm takes assertions as JSON only (fromJson,
 * addAssertion and fromArchive all pass through serde_json::Value, which has no byte strings), so it is written as
 * an empty array, which c2pa-rs and c2pa-ts accept (docs/timestamps.md, "The soft binding's pad").
 */
function softBindingData(s: SoftBindingInput): Record<string, unknown> {
  const alg = s.alg ?? CUSTODY_WATERMARK_ALG;
  if (typeof alg !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(alg)) {
    throw new CustodyError('INVALID_ARGUMENT', `expected softBinding.alg to be an algorithm name like "${CUSTODY_WATERMARK_ALG}", got ${JSON.stringify(alg)}`);
  }
  if (typeof s.payloadHex !== 'string' || !/^(?:[0-9a-f]{2}){1,1024}$/.test(s.payloadHex)) {
    throw new CustodyError('INVALID_ARGUMENT', `expected softBinding.payloadHex as lowercase hex bytes, got ${JSON.stringify(s.payloadHex)}`);
  }
  return compact({ alg, blocks: [{ scope: {}, value: s.payloadHex }], name: s.name, pad: [] });
}

function instant(s: string, what: string): string {
  if (typeof s !== 'string' || !ISO_INSTANT.test(s) || Number.isNaN(Date.parse(s))) {
    throw new CustodyError('INVALID_ARGUMENT', `expected ${what} as an ISO-8601 instant, got ${JSON.stringify(s)}`);
  }
  return s;
}

function compact<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
