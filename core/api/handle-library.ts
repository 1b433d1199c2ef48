// DeskApi handlers: signing, verification, the library and item detail.
import { existsSync } from 'node:fs';
import { checkSignedCopy } from '../authz/policy.ts';
import type { Desk } from '../desk.ts';
import { CustodyError, isCustodyError } from '../errors.ts';
import { getRecord, type SignedRecord } from '../store/records.ts';
import { getItemRow, getPublication } from '../workflow/items.ts';
import type { HandlerContext, Handlers } from './context.ts';
import type { DeskResult } from './desk-api.ts';

type LibraryItem = DeskResult<'items'>[number];

const MAX_SCAN = 10_000;

export function libraryItem(desk: Desk, record: SignedRecord): LibraryItem {
  const row = getItemRow(desk.store, record.id);
  return { ...record, workflow: row ? { state: row.state as NonNullable<LibraryItem['workflow']>['state'], stage: row.stage, updatedAt: row.updated_at } : null };
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
export function fileOf(ctx: HandlerContext, id: string, published: boolean, useCase: 'fileDownload' | 'reveal'): string {
  const { desk } = ctx;
  // The policy's row for the use case, with its object check (signedCopyForSigners), before anything is read.
  checkSignedCopy(useCase, ctx.current()?.actor ?? null, desk.directory.hasUsers(), published);
  const record = requireItem(desk, id);
  let path = record.outputPath;
  if (published) {
    const pubId = desk.workflow.status(null, id).publication?.id;
    path = pubId ? (getPublication(desk.store, pubId)?.output_path ?? null) : null;
  }
  if (!path || !existsSync(path)) throw new CustodyError('NOT_FOUND', `expected the ${published ? 'published' : 'signed'} file of ${id} on disk, got none`);
  return path;
}

export function libraryHandlers(ctx: HandlerContext): Handlers<'sign' | 'verify' | 'progress' | 'items' | 'item' | 'thumbnail' | 'reveal'> {
  const { desk } = ctx;
  return {
    sign: async ({ paths, outDir, progressKey }) => {
      const actor = ctx.actor('sign');
      const confineTo = ctx.hooks.confineFiles?.(ctx.session);
      const confined = confineTo ? { confineTo, deskOutputs: true } : {};
      const receipts = [];
      const failures = [];
      for (const p of paths) {
        try {
          receipts.push(await ctx.tracked(progressKey, p, (onProgress) => desk.sign(p, { ...(outDir ? { outDir } : {}), actor, ...(onProgress ? { onProgress } : {}), ...confined })));
        } catch (e) {
          if (!isCustodyError(e)) throw e;
          failures.push({ path: p, code: e.code, message: e.message });
        }
      }
      return { receipts, failures };
    },

    // Anyone may verify (a verifier has no account); the audit entry names the user when one is logged in.
    verify: ({ path, progressKey }) => {
      const confineTo = ctx.hooks.confineFiles?.(ctx.session);
      return ctx.tracked(progressKey, path, (onProgress) =>
        desk.verify(path, { actor: ctx.as('verify'), ...(onProgress ? { onProgress } : {}), ...(confineTo ? { confineTo } : {}) }),
      );
    },

    progress: ({ key }) => {
      ctx.as('progress');
      return ctx.progress.get(key) ?? null;
    },

    items: ({ limit, search, from, to, state }) => {
      ctx.as('items');
      const q = search?.trim().toLowerCase();
      const out: LibraryItem[] = [];
      for (const r of desk.items(MAX_SCAN)) {
        if (q && !r.inputName.toLowerCase().includes(q) && !r.id.includes(q)) continue;
        const day = r.signedAt.slice(0, 10);
        if ((from && day < from) || (to && day > to)) continue;
        const item = libraryItem(desk, r);
        if (state && (state === 'unsubmitted' ? item.workflow !== null : item.workflow?.state !== state)) continue;
        out.push(item);
        if (out.length >= (limit ?? 1000)) break;
      }
      return out;
    },

    item: ({ id }) => {
      const actor = ctx.as('item');
      const record = requireItem(desk, id);
      return { record, workflow: desk.workflow.status(actor, id), comments: desk.comments(id) };
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
