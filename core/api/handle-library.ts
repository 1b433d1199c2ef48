// DeskApi handlers: signing, verification, the library and item detail.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { signedEntry } from '../audit/log.ts';
import { checkSignedCopy } from '../authz/policy.ts';
import { DESK_ACTOR, type Desk } from '../desk.ts';
import { CustodyError, isCustodyError } from '../errors.ts';
import { getRecord, type SignedRecord } from '../store/records.ts';
import { getItemRow, getPublication } from '../workflow/items.ts';
import type { EventName } from '../workflow/events.ts';
import type { ItemStatus } from '../workflow/service.ts';
import { readHubLink } from '../sync/link.ts';
import type { HandlerContext, Handlers } from './context.ts';
import type { DeskResult } from './desk-api.ts';
import { pictureOf } from './pictures.ts';
import { publicRecord, publicReport } from './public-record.ts';

type LibraryItem = DeskResult<'items'>[number];

const MAX_SCAN = 10_000;

/**
 * "Waiting for me" (the queue's mine, the Library's saved view): items the caller can move forward (approve,
 * publish, resubmit). Withdrawing alone is not a task: that is a submitter waiting for someone else.
 */
const FORWARD: readonly EventName[] = ['approve', 'publish', 'resubmit', 'submit'];
export const actionable = (s: ItemStatus): boolean => s.can.some((e) => FORWARD.includes(e));

export function libraryItem(desk: Desk, record: SignedRecord): LibraryItem {
  const row = getItemRow(desk.store, record.id);
  return {
    ...record,
    workflow: row ? { state: row.state as NonNullable<LibraryItem['workflow']>['state'], stage: row.stage, updatedAt: row.updated_at } : null,
    anchor: desk.hub.anchorState(record.id),
  };
}

/**
 * Who signed an item, when and on which desk, from its `record.signed` audit entry (the record itself names the
 * key, not the person). The desk is its name at the hub when connected, else the machine's name.
 */
function signedBy(desk: Desk, id: string): DeskResult<'item'>['signedBy'] {
  const e = signedEntry(desk.store, id);
  return e ? { by: e.actor, at: e.at, desk: readHubLink(desk.store)?.deskName || hostname() } : null;
}

/** The record an ALREADY_SIGNED refusal names (core/desk.ts), for the screens' question. */
function alreadyOf(e: CustodyError): { recordId: string; signedAt: string; by: string | null } {
  const d = e.details ?? {};
  return { recordId: String(d.recordId), signedAt: String(d.signedAt), by: typeof d.by === 'string' ? d.by : null };
}

export function requireItem(desk: Desk, id: string): SignedRecord {
  const r = getRecord(desk.store, id);
  if (!r || r.kind === 'segment') throw new CustodyError('NOT_FOUND', `expected a record with id ${id}, but this desk has none`);
  return r;
}

/**
 * The signed (or published) file of an item, for whoever may have it: a published file is for every reader, the
 * signed copy of work not yet published only for those who may sign (a viewer sees the library, not the files):
 * the rows fileDownload and reveal of the authorization policy.
 */
export function fileOf(ctx: HandlerContext, id: string, published: boolean, useCase: 'fileDownload' | 'reveal' | 'picture'): string {
  return itemFileOf(ctx, id, published, useCase).path;
}

/** An item's signed or published file: where the desk wrote it, and the hash its bytes must have to be handed out. */
export interface ItemFile {
  path: string;
  sha256: string | null;
  /** "the signed file of rec_…", for messages */
  what: string;
}

/** fileOf, with the hash the file must still have (checked-file.ts opens it against it before a byte goes out). */
export function itemFileOf(ctx: HandlerContext, id: string, published: boolean, useCase: 'fileDownload' | 'reveal' | 'picture'): ItemFile {
  const { desk } = ctx;
  // The policy's row for the use case, with its object check (signedCopyForSigners), before anything is read.
  checkSignedCopy(useCase, ctx.current()?.actor ?? null, desk.directory.hasUsers(), published);
  const record = requireItem(desk, id);
  let path = record.outputPath;
  let sha256 = record.outputSha256;
  if (published) {
    const pubId = desk.workflow.status(null, id).publication?.id;
    const pub = pubId ? getPublication(desk.store, pubId) : null;
    path = pub?.output_path ?? null;
    sha256 = pub?.output_sha256 ?? null;
  }
  const what = `the ${published ? 'published' : 'signed'} file of ${id}`;
  if (!path || !existsSync(path)) throw new CustodyError('NOT_FOUND', `expected ${what} on disk, got none`);
  return { path, sha256, what };
}

export function libraryHandlers(ctx: HandlerContext): Handlers<'sign' | 'fileMetadata' | 'verify' | 'progress' | 'publicRecord' | 'items' | 'item' | 'thumbnail' | 'picture' | 'reveal'> {
  const { desk } = ctx;
  return {
    fileMetadata: async ({ path }) => {
      const actor = ctx.actor('fileMetadata');
      const confineTo = ctx.hooks.confineFiles?.(ctx.session);
      return desk.fileMetadata(path, { actor, ...(confineTo ? { confineTo } : {}) });
    },

    sign: async ({ paths, outDir, progressKey, metadata, again }) => {
      const actor = ctx.actor('sign');
      const confineTo = ctx.hooks.confineFiles?.(ctx.session);
      const confined = confineTo ? { confineTo, deskOutputs: true } : {};
      const receipts = [];
      const failures = [];
      for (const p of paths) {
        try {
          receipts.push(await ctx.tracked(progressKey, p, (onProgress) => desk.sign(p, { ...(outDir ? { outDir } : {}), ...(metadata ? { metadata } : {}), actor, ...(onProgress ? { onProgress } : {}), ...confined, ...(again ? { again } : {}) })));
        } catch (e) {
          if (!isCustodyError(e)) throw e;
          failures.push({ path: p, code: e.code, message: e.message, ...(e.code === 'ALREADY_SIGNED' ? { already: alreadyOf(e) } : {}) });
        }
      }
      return { receipts, failures };
    },

    // Anyone may verify (a verifier has no account); the audit entry names the user when one is logged in. A caller
    // without an account gets the report a verifier may see (public-record.ts), the desk's users all of it.
    verify: async ({ path, progressKey, deep }) => {
      const actor = ctx.as('verify');
      const confineTo = ctx.hooks.confineFiles?.(ctx.session);
      const report = await ctx.tracked(progressKey, path, (onProgress) =>
        desk.verify(path, { actor, ...(onProgress ? { onProgress } : {}), ...(confineTo ? { confineTo } : {}), ...(deep ? { deep } : {}) }),
      );
      const outsider = actor === null && desk.directory.hasUsers();
      // A visitor learns the desk's name at the hub only (not the machine's), and no user; the desk itself is no user.
      const by = report.recordId && !outsider ? signedBy(desk, report.recordId) : null;
      const signer = report.recordId ? { user: by && by.by !== DESK_ACTOR.name ? by.by : null, desk: by?.desk ?? (desk.hub.link?.deskName || null) } : undefined;
      return { ...(outsider ? publicReport(report) : report), ...(signer ? { signer } : {}) };
    },

    publicRecord: ({ id }) => {
      const actor = ctx.as('publicRecord');
      const user = actor !== null || !desk.directory.hasUsers();
      return publicRecord(desk, requireItem(desk, id), { user }, (r) => ctx.thumbnails.dataUrl(r, 480));
    },

    progress: ({ key }) => {
      ctx.as('progress');
      return ctx.progress.get(key) ?? null;
    },

    items: ({ limit, search, from, to, state, waitingForMe }) => {
      const actor = ctx.as('items');
      const q = search?.trim().toLowerCase();
      const out: LibraryItem[] = [];
      for (const r of desk.items(MAX_SCAN)) {
        if (q && !r.inputName.toLowerCase().includes(q) && !r.id.includes(q)) continue;
        const day = r.signedAt.slice(0, 10);
        if ((from && day < from) || (to && day > to)) continue;
        const item = libraryItem(desk, r);
        if (state && (state === 'unsubmitted' ? item.workflow !== null : item.workflow?.state !== state)) continue;
        // The queue's "mine": the next step of the item's workflow is one this user may take.
        if (waitingForMe && (item.workflow === null || !actionable(desk.workflow.status(actor, r.id)))) continue;
        out.push(item);
        if (out.length >= (limit ?? 1000)) break;
      }
      return out;
    },

    item: ({ id }) => {
      const actor = ctx.as('item');
      const record = requireItem(desk, id);
      return { record, workflow: desk.workflow.status(actor, id), comments: desk.comments(id), anchor: desk.hub.anchorState(id), signedBy: signedBy(desk, id) };
    },

    // The full picture is the file itself: the same rule as downloading it (core/authz fileDownload's object check).
    picture: async ({ id, which }) => {
      checkSignedCopy('picture', ctx.current()?.actor ?? null, desk.directory.hasUsers(), which === 'published');
      const record = requireItem(desk, id);
      if (record.kind !== 'image') return null;
      if (which === 'published') {
        const pub = desk.workflow.status(null, id).publication;
        return pub ? pictureOf(fileOf(ctx, id, true, 'picture'), pub.sha256, desk.limits) : null;
      }
      // The original is read where it was signed from, and shown only while it still holds the bytes signed.
      return which === 'signed' ? pictureOf(fileOf(ctx, id, false, 'picture'), record.outputSha256, desk.limits) : pictureOf(record.inputPath, record.sha256, desk.limits);
    },

    thumbnail: async ({ id, size }) => {
      ctx.as('thumbnail');
      return { dataUrl: await ctx.thumbnails.dataUrl(requireItem(desk, id), size) };
    },

    reveal: ({ id, published }) => {
      const path = fileOf(ctx, id, published ?? false, 'reveal');
      if (!ctx.hooks.reveal) throw new CustodyError('NOT_PERMITTED', 'expected the desktop app to show a file in its folder, got a host that cannot');
      ctx.hooks.reveal(path);
      return { revealed: true };
    },
  };
}
