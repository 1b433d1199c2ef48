// Shapes of the desk's administration over the DeskApi: users and sessions, the audit log, watched folders,
// certificates, settings and workflow templates.
import { z } from 'zod';
import { EXPORT_FORMATS } from '../audit/export.ts';
import { TemplateSchema } from '../workflow/template.ts';
import { classificationSchema, flagSchema, roleSchema } from './workflow-schemas.ts';

export const userRefSchema = z.object({ name: z.string(), roles: z.array(roleSchema) });

export const userSchema = z.object({
  name: z.string(),
  roles: z.array(roleSchema),
  createdAt: z.string(),
  createdBy: z.string(),
  disabledAt: z.string().nullable(),
  /** local: a password kept on this desk; ldap: the newsroom's directory, roles from its groups at every login. */
  source: z.enum(['local', 'ldap']),
});

export const whoamiSchema = z.object({
  /** The logged-in user; on a desk without users, the desk itself while its keys are unlocked. */
  user: userRefSchema.nullable(),
  /** users: the desk has users and asks who is acting; single-user: it has none and acts as the desk. */
  mode: z.enum(['users', 'single-user']),
  expiresAt: z.string().nullable(),
  /**
   * The use cases of the authorization policy (core/authz) this caller's roles allow: what the screens offer. The
   * checks on an object (four-eyes, a folder's owner) come with the object, as an item's `can`.
   */
  may: z.array(z.string()),
});

export const userName = z.string().regex(/^[a-z][a-z0-9._-]{0,63}$/, 'expected a user name of lowercase letters, digits, ".", "_" or "-" starting with a letter');
export const rolesArg = z.array(roleSchema).min(1, 'expected at least one role');

// Audit

export const auditEntrySchema = z.object({
  seq: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  subject: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
  keyId: z.string().nullable(),
  signature: z.string().nullable(),
  pendingMac: z.string().nullable(),
});

const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date like 2025-06-01');

export const auditListArgs = z.object({
  actor: z.string().max(64).optional(),
  /** An action, or a prefix ending in "." (workflow.). */
  action: z.string().max(64).optional(),
  subject: z.string().max(200).optional(),
  from: isoDay.optional(),
  to: isoDay.optional(),
  /** Entries older than this seq (the next page). */
  before: z.number().int().min(1).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
});

export const auditListSchema = z.object({
  entries: z.array(auditEntrySchema),
  /** Entries in the log in all (unfiltered). */
  total: z.number().int(),
  /** Pass as `before` for the next page; null when there is none. */
  next: z.number().int().nullable(),
  /** Every action name in the log, for the filter. */
  actions: z.array(z.string()),
});

const problemSchema = z.object({ seq: z.number().int(), kind: z.string(), message: z.string() });

export const auditVerifySchema = z.object({
  ok: z.boolean(),
  entries: z.number().int(),
  sealed: z.number().int(),
  pending: z.object({ from: z.number().int(), to: z.number().int(), checked: z.boolean() }).nullable(),
  head: z.object({ seq: z.number().int(), hash: z.string() }).nullable(),
  checkpoint: z.object({ seq: z.number().int(), signedSeq: z.number().int().nullable() }).nullable(),
  /** Where the accepted keys come from: the vault, or none while it is locked (never ok). */
  pinnedTo: z.enum(['vault', 'trust-key', 'none']),
  keys: z.array(z.object({ keyId: z.string(), publicKey: z.string() })),
  firstBad: problemSchema.nullable(),
  problems: z.array(problemSchema),
  /** The newest head of this desk the hub's log holds (none, held, or a proof that fails), checked against the log. */
  anchored: z.object({ state: z.enum(['none', 'held', 'invalid']), detail: z.string(), seq: z.number().int().optional(), hash: z.string().optional(), code: z.string().optional() }).nullable(),
  workflow: z.object({
    items: z.number().int(),
    problems: z.array(z.object({ itemId: z.string(), problem: z.string().nullable() })),
  }),
  /** Every record row against its signed fingerprint and its record.signed entry (core/provenance/record-binding.ts). */
  records: z.object({
    records: z.number().int(),
    problems: z.array(z.object({ recordId: z.string(), problem: z.string() })),
  }),
});

export const auditExportArgs = z.object({ format: z.enum(EXPORT_FORMATS) });
export const auditExportSchema = z.object({ filename: z.string(), mime: z.string(), content: z.string(), entries: z.number().int() });

// Watched folders

export const watchOutcomeSchema = z.object({
  status: z.enum(['signed', 'rejected', 'duplicate']),
  path: z.string(),
  recordId: z.string().nullable(),
  output: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  at: z.string(),
});

export const watchFolderSchema = z.object({
  id: z.string(),
  path: z.string(),
  outDir: z.string(),
  concurrency: z.number().int(),
  stableMs: z.number().int(),
  workflowTemplate: z.string().nullable(),
  classification: z.string().nullable(),
  flags: z.array(z.string()),
  digitalSourceType: z.string().nullable(),
  createdAt: z.string(),
  /** Who configured the folder: its files are signed and submitted as theirs. */
  createdBy: z.string(),
  /** running: this desk process watches it; elsewhere: another process (the CLI, another app) holds it. */
  status: z.enum(['running', 'elsewhere', 'stopped']),
  heldBy: z.string().nullable(),
  jobs: z.record(z.string(), z.number().int()),
  /** The newest outcomes seen by this process, newest first. */
  recent: z.array(watchOutcomeSchema),
  problem: z.object({ code: z.string(), message: z.string(), at: z.string() }).nullable(),
});

export const watchAddArgs = z.object({
  path: z.string().min(1, 'expected the folder to watch, got an empty path'),
  outDir: z.string().min(1, 'expected an output folder, got an empty path'),
  concurrency: z.number().int().min(1).max(32).optional(),
  /** How long a file must stay unchanged before it is taken (default 2000 ms). */
  stableMs: z.number().int().min(0).max(600_000).optional(),
  workflowTemplate: z.string().min(1).nullable().optional(),
  classification: classificationSchema.nullable().optional(),
  flags: z.array(flagSchema).optional(),
  /** The IPTC digital source type its files' manifests name (a term or its URL); null: none. */
  digitalSourceType: z.string().min(1).max(200).nullable().optional(),
  /** Start watching now (default true). */
  start: z.boolean().optional(),
});

/** The folder browser of the watch-folder form (core/paths/browse.ts): sub-folders under the allowed roots only. */
export const folderListArgs = z.object({ path: z.string().min(1, 'expected a folder path, got an empty one').max(4096).optional() });
export const folderListSchema = z.object({
  path: z.string().nullable(),
  parent: z.string().nullable(),
  folders: z.array(z.object({ name: z.string(), path: z.string() })),
  truncated: z.number().int(),
  roots: z.array(z.string()),
  examples: z.object({ watch: z.string(), output: z.string() }),
});

export const watchRef = z.object({ id: z.string().regex(/^wf_[0-9a-f]{16}$/, 'expected a watched folder id like wf_…') });

// Certificates and settings

export const certificateSchema = z.object({
  subject: z.string(),
  issuer: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
  /** SHA-256 of the DER, hex: what people compare over the phone. */
  sha256: z.string(),
  key: z.string(),
  isCa: z.boolean(),
  pem: z.string(),
});

export const certificatesSchema = z.object({
  /** The Content Credentials signing chain, signing certificate first. */
  chain: z.array(certificateSchema),
  /** Roots that verification accepts: the org root and any added. */
  anchors: z.array(certificateSchema),
  orgRootPem: z.string().nullable(),
});

export const settingsSchema = z.object({
  org: z.string(),
  home: z.string(),
  createdAt: z.string(),
  hybridPq: z.boolean(),
  limits: z.object({ maxImageBytes: z.number(), maxPixels: z.number(), maxVideoSeconds: z.number() }),
  /** The folders watched folders (and web mode's files) must lie under; empty: none set yet. */
  allowedRoots: z.array(z.string()),
  /** The RFC 3161 time-stamp authority (null: none) and how many TSA roots time-stamps are judged against. */
  tsa: z.object({ url: z.string().nullable(), anchors: z.number().int() }),
});

export const stampRunSchema = z.object({
  stamped: z.array(z.object({ recordId: z.string(), manifest: z.enum(['signed', 'published']), genTime: z.string() })),
  failed: z.array(z.object({ recordId: z.string(), manifest: z.enum(['signed', 'published']), error: z.string(), nextAttemptAt: z.string() })),
  waiting: z.number().int(),
});

export const templateInfoSchema = z.object({
  template: TemplateSchema,
  version: z.number().int(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
