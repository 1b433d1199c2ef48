// The DeskApi: every method the screens need, declared once with its argument and result schemas. The Electron
// IPC handlers, web mode's HTTP routes and the renderer's typed client all derive from this map.
import { z } from 'zod';
import {
  auditExportArgs, auditExportSchema, auditListArgs, auditListSchema, auditVerifySchema, certificatesSchema, rolesArg, settingsSchema, stampRunSchema,
  templateInfoSchema, userName, folderListArgs, folderListSchema, userRefSchema, userSchema, watchAddArgs, watchFolderSchema, watchRef, whoamiSchema,
} from './admin-schemas.ts';
import { hubConnectArgs, hubLinkSchema, hubStatusSchema } from './hub-schemas.ts';
import { bulkArgs, bulkResultSchema, pictureArgs, pictureSchema, viewPrefsSchema } from './library-schemas.ts';
import { publicRecordSchema } from './public-record.ts';
import { libraryItemSchema, metadataEditsSchema, photoMetadataSchema, receiptSchema, signingKeySchema, verifyReportSchema, workflowStateSchema } from './schemas.ts';
import {
  commentArgs, commentSchema, itemDetailSchema, itemRef, itemStatusSchema, optionalCommentArgs, queueEntrySchema, requiredCommentArgs,
  resubmitArgs, roleSchema, submitArgs,
} from './workflow-schemas.ts';
import { WORK_PHASES } from '../media/progress.ts';
import { TemplateSchema } from '../workflow/template.ts';
import { ldapConfigSchema } from '../directory/ldap-config.ts';
import type { Envelope } from './envelope.ts';
import { DESK_METHOD_NAMES, type DeskMethodName } from './methods.ts';

const path = z.string().min(1, 'expected a file path, got an empty string');
const none = z.object({});
const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date like 2025-06-01');
/** Chosen by the caller to ask `progress` about a long sign or verify (a video) while it runs. */
const progressKey = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'expected a progress key of 8–64 letters, digits, "_" or "-"');
const directoryStatusSchema = z.object({ config: ldapConfigSchema.nullable(), bindPasswordSet: z.boolean() });
const pem = (what: string) => z.string().min(1, `expected ${what}, got nothing`).max(1 << 20, `expected ${what} of at most 1 MB`);

export const deskApi = {
  // The desk and who is acting
  info: {
    args: none,
    // Open to anyone (a web-mode visitor without an account too): no path of the desk's in it; the data folder is in
    // `settings`, for users.
    result: z.object({
      org: z.string(),
      unlocked: z.boolean(),
      version: z.string(),
      /** The desk has users: the app asks who is acting. */
      users: z.boolean(),
      /** Logins are checked against the newsroom's directory (LDAP/AD) for names that are not local users. */
      directory: z.boolean(),
      host: z.object({ kind: z.enum(['electron', 'web', 'test']), nativeDialogs: z.boolean() }),
    }),
  },
  unlock: {
    args: z.object({ passphrase: z.string().min(1, 'expected the passphrase, got an empty one') }),
    result: z.object({ unlocked: z.boolean() }),
  },
  login: {
    args: z.object({ name: z.string().min(1, 'expected a user name, got an empty one').max(64), password: z.string().min(1, 'expected a password, got an empty one').max(1024) }),
    result: z.object({ user: userRefSchema, expiresAt: z.string() }),
  },
  logout: { args: none, result: z.object({ loggedOut: z.boolean() }) },
  whoami: { args: none, result: whoamiSchema },

  // Signing, verification, the library
  sign: {
    args: z.object({
      paths: z.array(path).min(1, 'expected at least one file to sign'), outDir: path.optional(), progressKey: progressKey.optional(),
      /** IPTC fields laid over each file's own before it is signed (an empty field clears the file's value). */
      metadata: metadataEditsSchema.optional(),
      /** Sign files this desk has already signed as new records; without it they fail with ALREADY_SIGNED. */
      again: z.boolean().optional(),
    }),
    result: z.object({
      receipts: z.array(receiptSchema),
      failures: z.array(z.object({
        path: z.string(), code: z.string(), message: z.string(),
        /** ALREADY_SIGNED: the newest record of these bytes, when and by whom (null: no audit entry names anyone). */
        already: z.object({ recordId: z.string(), signedAt: z.string(), by: z.string().nullable() }).optional(),
      })),
    }),
  },
  /** The IPTC fields a file carries, to prefill them before signing; writable: the desk can write edits into it. */
  fileMetadata: { args: z.object({ path }), result: z.object({ fields: photoMetadataSchema, writable: z.boolean() }) },
  verify: { args: z.object({ path, progressKey: progressKey.optional(), deep: z.boolean().optional() }), result: verifyReportSchema },
  /**
   * How far a sign or verify started with this progress key has got: a video reports 0–100 % with its phase and the
   * seconds decoded of the total (core/media/progress.ts); a photo stays at 'starting'. Null before and after.
   */
  progress: {
    args: z.object({ key: progressKey }),
    result: z.object({
      file: z.string(),
      phase: z.enum(WORK_PHASES),
      percent: z.number().min(0).max(100),
      doneSec: z.number(),
      totalSec: z.number(),
    }).nullable(),
  },
  /** A record as anyone may see it (a verifier's link): facts, never the newsroom's workflow (core/api/public-record.ts). */
  publicRecord: { args: itemRef, result: publicRecordSchema },
  items: {
    args: z.object({
      limit: z.number().int().min(1).max(10_000).optional(),
      /** Part of the file name or the record id. */
      search: z.string().max(200).optional(),
      /** Signed on or after / on or before this day (UTC). */
      from: isoDay.optional(),
      to: isoDay.optional(),
      /** A workflow state, or `unsubmitted` for items never submitted. */
      state: z.union([workflowStateSchema, z.literal('unsubmitted')]).optional(),
      /** Only items whose next workflow step the caller may take (the queue's "mine"). */
      waitingForMe: z.boolean().optional(),
    }),
    result: z.array(libraryItemSchema),
  },
  item: { args: itemRef, result: itemDetailSchema },
  thumbnail: {
    args: z.object({ id: itemRef.shape.id, size: z.number().int().min(32).max(512).optional() }),
    /** A small JPEG as a data: URL; null when the item has no picture to show (a video, a missing output). */
    result: z.object({ dataUrl: z.string().startsWith('data:image/jpeg;base64,').nullable() }),
  },
  /** The whole picture for the loupe: whoever may download the signed copy (core/authz fileDownload's check). */
  picture: { args: pictureArgs, result: pictureSchema },
  /** Each user's Library: the sort and the saved views. */
  viewPrefs: { args: none, result: viewPrefsSchema },
  viewPrefsSet: { args: viewPrefsSchema, result: viewPrefsSchema },

  // Native integration (the desktop app; web mode answers NOT_PERMITTED)
  pickFiles: {
    args: z.object({ purpose: z.enum(['sign', 'verify', 'pem']), multiple: z.boolean().optional() }),
    result: z.object({ paths: z.array(z.string()) }),
  },
  pickFolder: { args: z.object({ purpose: z.enum(['watch', 'output']) }), result: z.object({ path: z.string().nullable() }) },
  reveal: { args: itemRef.extend({ published: z.boolean().optional() }), result: z.object({ revealed: z.boolean() }) },

  // Workflow
  queue: {
    /** mine: items the caller may act on now; all: every item in the workflow. */
    args: z.object({ scope: z.enum(['mine', 'all']).optional() }),
    result: z.array(queueEntrySchema),
  },
  submit: { args: submitArgs, result: itemStatusSchema },
  approve: { args: optionalCommentArgs, result: itemStatusSchema },
  reject: { args: requiredCommentArgs, result: itemStatusSchema },
  requestChanges: { args: requiredCommentArgs, result: itemStatusSchema },
  resubmit: { args: resubmitArgs, result: itemStatusSchema },
  withdraw: { args: optionalCommentArgs, result: itemStatusSchema },
  publish: {
    args: itemRef,
    result: z.object({ status: itemStatusSchema, publication: z.object({ id: z.string(), output: z.string(), sha256: z.string() }) }),
  },
  comment: { args: commentArgs, result: commentSchema },
  /** One workflow action over many items, each authorized on its own, with one result per item. */
  bulk: { args: bulkArgs, result: bulkResultSchema },

  // Audit
  auditList: { args: auditListArgs, result: auditListSchema },
  auditVerify: { args: none, result: auditVerifySchema },
  auditExport: { args: auditExportArgs, result: auditExportSchema },

  // Watched folders
  watchFolders: { args: none, result: z.array(watchFolderSchema) },
  watchAdd: { args: watchAddArgs, result: watchFolderSchema },
  watchRemove: { args: watchRef, result: z.object({ removed: z.string() }) },
  watchStart: { args: watchRef, result: watchFolderSchema },
  watchStop: { args: watchRef, result: watchFolderSchema },
  /**
   * The sub-folders of a folder under the allowed roots (no path: the roots), for choosing a folder to watch where
   * the host has no native dialog (web mode); with example paths of this machine for the form.
   */
  folderList: { args: folderListArgs, result: folderListSchema },

  // Users
  users: { args: none, result: z.array(userSchema) },
  userAdd: {
    args: z.object({ name: userName, roles: rolesArg, password: z.string().min(12, 'expected a password of at least 12 characters').max(1024) }),
    result: userSchema,
  },
  userSetRoles: { args: z.object({ name: userName, roles: rolesArg }), result: userSchema },
  userDisable: { args: z.object({ name: userName }), result: userSchema },

  // The newsroom's directory (LDAP/AD): admins only; the service password goes into the vault and never comes back
  directory: { args: none, result: directoryStatusSchema },
  directorySet: {
    args: z.object({
      config: ldapConfigSchema,
      /** Replaces the service account's password in the vault; omitted: keep the one there. */
      bindPassword: z.string().min(1, 'expected the service account password, got an empty one').max(1024).optional(),
    }),
    result: directoryStatusSchema,
  },
  /** Without a user: connects and binds as the service account. With one: tries that login, recording nothing. */
  directoryTest: {
    args: z.object({ user: z.string().min(1).max(256).optional(), password: z.string().max(1024).optional() }),
    result: z.object({
      ok: z.boolean(),
      outcome: z
        .discriminatedUnion('kind', [
          z.object({
            kind: z.literal('ok'),
            dn: z.string(),
            groups: z.array(z.string()),
            /** The roles the groups map to, and which rule gave which. */
            grant: z.object({ roles: z.array(roleSchema), from: z.array(z.object({ group: z.string(), roles: z.array(roleSchema) })) }),
          }),
          z.object({ kind: z.literal('refused'), reason: z.string() }),
        ])
        .nullable(),
    }),
  },
  directoryRemove: { args: none, result: z.object({ removed: z.boolean() }) },

  // Keys, certificates, settings, templates
  keys: { args: none, result: z.array(signingKeySchema) },
  certificates: { args: none, result: certificatesSchema },
  certificateImport: {
    args: z.object({ chainPem: pem('a PEM certificate chain'), keyPem: pem('a PEM private key') }),
    result: z.object({ subject: z.string(), issuer: z.string() }),
  },
  /** `already`: certificates of the file that were trusted before (added again they change nothing). */
  trustAdd: { args: z.object({ pem: pem('PEM certificates') }), result: z.object({ added: z.number().int(), already: z.number().int() }) },
  settings: { args: none, result: settingsSchema },
  settingsSet: {
    args: z
      .object({
        hybridPq: z.boolean().optional(),
        allowedRoots: z.array(path).max(64, 'expected at most 64 allowed roots').optional(),
        /** The TSA URL; null removes it. */
        tsaUrl: z.string().max(2048).nullable().optional(),
        /** PEM TSA roots (replacing those set); null removes them. */
        tsaAnchorsPem: pem('PEM certificates').nullable().optional(),
      })
      .refine(
        (a) => a.hybridPq !== undefined || a.allowedRoots !== undefined || a.tsaUrl !== undefined || a.tsaAnchorsPem !== undefined,
        'expected a setting to change (hybridPq, allowedRoots, tsaUrl or tsaAnchorsPem), got none',
      ),
    result: settingsSchema,
  },
  /** Obtains the time-stamps the TSA did not give at signing: those due (back-off), or all of them. */
  timestampsStamp: { args: z.object({ all: z.boolean().optional() }), result: stampRunSchema },
  templates: { args: none, result: z.array(templateInfoSchema) },
  templateSave: { args: z.object({ template: TemplateSchema }), result: templateInfoSchema },

  // The organisation's hub (core/sync): the Settings screen's status (connecting is `custody hub connect`)
  hubStatus: { args: none, result: hubStatusSchema },
  /** Enrols this desk with the hub (an admin, the vault open): what `custody hub connect` does. */
  hubConnect: { args: hubConnectArgs, result: hubLinkSchema },
} as const;

export type DeskMethod = keyof typeof deskApi;
export const DESK_METHODS: readonly DeskMethod[] = DESK_METHOD_NAMES;

// methods.ts lists the same names, for the preload: a method missing from either list fails to compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _sameMethods: Same<DeskMethod, DeskMethodName> = true;
void _sameMethods;

export type DeskArgs<M extends DeskMethod> = z.input<(typeof deskApi)[M]['args']>;
export type DeskResult<M extends DeskMethod> = z.output<(typeof deskApi)[M]['result']>;

/** The typed client the renderer calls (through IPC in Electron, HTTP in web mode). */
export type DeskApi = { [M in DeskMethod]: (args: DeskArgs<M>) => Promise<DeskResult<M>> };

/**
 * What the Electron preload exposes: the same methods answering with an envelope, because an Error crossing
 * contextBridge keeps only its message, and the renderer needs the code. The renderer's client unwraps it.
 */
export type DeskBridge = { [M in DeskMethod]: (args: DeskArgs<M>) => Promise<Envelope<DeskResult<M>>> };
