// One step of a watch job at a time. Each step first looks at what is on disk, so that running it again after a
// crash at any point (even between its file operations and its database commit) converges on the same result:
// no file is lost, none is signed twice, nothing is overwritten.
import { basename, dirname, join } from 'node:path';
import type { Desk } from '../desk.ts';
import { CustodyError, missingCase } from '../errors.ts';
import type { SignPool } from '../provenance/sign-pool.ts';
import { getRecord } from '../store/records.ts';
import {
  NameTaken, errnoCode, exists, freshTemp, hashFile, ioError, isRealDir, moveUnread, notAFile, ownFile, ownFolder, ownFolderIfThere, placeFile, takeConfined, writeNew, type WatchFs,
} from './fs.ts';
import {
  UNREAD, decideReject, finishJob, getJob, linkRecord, markPlacing, markSetAside, markStaged, pathsTaken, releaseJob, repath, type WatchJob,
} from './jobs.ts';
import { folderOwner } from './folders.ts';
import { errorNoteText, receiptText } from './notes.ts';
import { ORIGINALS_DIR, REJECTED_DIR, errorNotePathOf, fitName, fitRel, receiptPathOf, stagingDirOf, under, variant } from './paths.ts';

export interface StepContext {
  desk: Desk;
  fs: WatchFs;
  now: () => Date;
  /** The engine's sign workers, when it has any (sign-pool.ts); null: photos are rendered on this thread. */
  signPool?: () => SignPool | null;
}

/** Runs the next step of an open job and returns the job as it is afterwards; a closed job is returned as is. */
export async function step(ctx: StepContext, job: WatchJob): Promise<WatchJob> {
  switch (job.state) {
    case 'claimed':
      return stage(ctx, job);
    case 'staged':
      return job.disposition === 'sign' ? sign(ctx, job) : plan(ctx, job);
    case 'signed':
      return plan(ctx, job);
    case 'placing':
      return place(ctx, job);
    case 'done':
    case 'rejected':
    case 'duplicate':
    case 'released':
      return job;
    default:
      return missingCase(job.state);
  }
}

export type FailureKind = 'permanent' | 'transient' | 'unexpected';

/** Codes for files that will never sign, however often they are tried: they go to rejected/. */
const PERMANENT = new Set(['UNSUPPORTED_FORMAT', 'FILE_TOO_LARGE', 'IMAGE_TOO_MANY_PIXELS', 'CORRUPT_MEDIA', 'WORKFLOW_TRANSITION_REFUSED']);
/** errno codes about the file's name (too long, or not valid on this file system): trying again cannot help. */
const PERMANENT_ERRNO = new Set(['ENAMETOOLONG', 'EINVAL', 'EILSEQ']);

/** The errno of a failure, also when a CustodyError carries it (ioError) or wraps it. */
function errnoOf(e: unknown): string | undefined {
  for (let c: unknown = e, depth = 0; c && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    const code = c instanceof CustodyError ? c.details?.errno : errnoCode(c);
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * What a failed step means. Bad files are permanent; the disk (full, read-only, unplugged) and a locked key are
 * transient and retried without limit; anything else is unexpected and retried a few times before the file is
 * rejected, so that one strange file cannot hold the folder forever.
 */
export function classify(e: unknown): { kind: FailureKind; code: string; message: string } {
  if (PERMANENT_ERRNO.has(errnoOf(e) ?? '')) return { kind: 'permanent', code: 'IO_ERROR', message: e instanceof CustodyError ? e.message : ioError('work on the file', e).message };
  if (e instanceof CustodyError) return { kind: PERMANENT.has(e.code) ? 'permanent' : 'transient', code: e.code, message: e.message };
  const errno = errnoCode(e);
  if (typeof errno === 'string' && /^E[A-Z]+$/.test(errno)) return { kind: 'transient', code: 'IO_ERROR', message: ioError('work on the file', e).message };
  return { kind: 'unexpected', code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

async function stage(ctx: StepContext, job: WatchJob): Promise<WatchJob> {
  const { fs } = ctx;
  const db = ctx.desk.store;
  // The original and the signed copy wait in two subfolders of the job's folder (so that no file name, not even
  // "signed", can collide with them).
  const dir = stagingDirOf(job.outDir, job.folderId, job.id);
  const staged = join(dir, 'original', fitName(basename(job.sourcePath)));
  // a staging folder someone swapped for a link is neither replayed from nor written into (fs.ts, ownFolder)
  await ownFolderIfThere(fs, dirname(staged));
  if (await exists(fs, staged)) {
    // A crash after a link or a pipe was renamed here and before it was judged: it is set aside as it would have been.
    const entry = await fs.lstat(staged);
    if (!entry.isFile()) return markSetAside(db, job.id, staged, notAFile(job.sourcePath, entry), ctx.now());
    // The move happened (staged names appear only complete, by rename). Across file systems a crash can fall
    // between the verified copy and the unlink of the source: finish it if the source still holds these bytes.
    // On one file system the move was a rename, so a file at the source now is a new drop and stays.
    const { sha256 } = await ownFile(fs, staged);
    const source = job.sourcePath;
    if ((await exists(fs, source)) && (await isRealDir(fs, dirname(source))) && (await crossDevice(fs, source, staged)) && (await hashFile(fs, source)).sha256 === sha256) {
      await fs.unlink(job.sourcePath).catch((e: unknown) => {
        throw ioError(`remove ${job.sourcePath} after copying it`, e);
      });
    }
    return markStaged(db, job.id, sha256, staged, ctx.now());
  }
  let st;
  try {
    st = await fs.lstat(job.sourcePath);
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT' && errnoCode(e) !== 'ENOTDIR') throw ioError(`look at ${job.sourcePath}`, e);
    await freshTemp(fs, staged);
    await removeEmptyDirs(fs, [dirname(staged), dir]);
    return releaseJob(db, job.id, `expected ${job.relPath} in the watched folder, but it was gone before it could be taken`, ctx.now());
  }
  if (!st.isFile() || st.size !== job.size || Math.floor(st.mtimeMs) !== job.mtimeMs) {
    await freshTemp(fs, staged);
    await removeEmptyDirs(fs, [dirname(staged), dir]);
    return releaseJob(db, job.id, `expected ${job.relPath} unchanged since it was claimed, but it changed; it is taken again once it settles`, ctx.now());
  }
  try {
    await ownFolder(fs, dirname(staged));
  } catch (e) {
    if (e instanceof CustodyError && e.code === 'PATH_NOT_ALLOWED') throw e;
    throw ioError(`create the staging folder ${dir}`, e);
  }
  const taken = await takeConfined(fs, job.sourcePath, staged, st);
  if (taken.outcome === 'left') {
    await removeEmptyDirs(fs, [dirname(staged), dir]);
    return releaseJob(db, job.id, `${taken.why}; it was left where it was`, ctx.now());
  }
  if (taken.outcome === 'set-aside') return markSetAside(db, job.id, staged, { code: 'UNSUPPORTED_FORMAT', message: taken.why }, ctx.now());
  // A drop with other hard links is staged as a copy of its own, so nothing signed or kept can change through them.
  const { sha256 } = await ownFile(fs, staged);
  return markStaged(db, job.id, sha256, staged, ctx.now());
}

async function sign(ctx: StepContext, job: WatchJob): Promise<WatchJob> {
  const db = ctx.desk.store;
  const staged = job.stagedPath!;
  const dir = join(dirname(dirname(staged)), 'signed');
  // The job is not 'signed', so no record names anything here: whatever is left is the output of an attempt
  // that crashed between writing it and committing its record. Only in the desk's own folder (a link put in its
  // place would have the desk empty another), and only files.
  await ownFolder(ctx.fs, dir);
  for (const name of await readdirOrEmpty(ctx.fs, dir)) {
    if (!(await ctx.fs.lstat(join(dir, name))).isFile()) continue;
    await ctx.fs.unlink(join(dir, name)).catch((e: unknown) => {
      throw ioError(`clear the staging folder ${dir}`, e);
    });
  }
  try {
    await ctx.desk.sign(staged, {
      target: { dir, name: fitName(basename(staged)) },
      onRecord: (tx, record) => {
        linkRecord(tx, job.id, record, ctx.now());
        autoSubmit(ctx, job, record.id);
      },
      digitalSourceType: job.options.digitalSourceType,
      signPool: ctx.signPool?.() ?? null,
      // The folder signs as whoever configured it, with their roles as they are now.
      actor: ctx.desk.actorFor(folderOwner(db, job.folderId)),
      // A folder keeps its own rule for bytes seen before (markStaged: a second copy dropped into the same folder is
      // set aside as ALREADY_SIGNED, once). Bytes signed elsewhere on the desk (the Sign screen, another folder) are
      // signed again here: no one is at a hot folder to ask, and its output must hold a copy of every file dropped.
      again: true,
    });
  } catch (e) {
    const failure = classify(e);
    if (failure.kind !== 'permanent') throw e;
    return decideReject(db, job.id, failure, ctx.now());
  }
  return getJob(db, job.id);
}

/**
 * A folder with a workflow template submits each signed file for approval, inside the record's own transaction,
 * so a file is submitted exactly once or not signed at all. The folder submits as the person who configured it:
 * the items are their submissions, which four-eyes keeps them from approving.
 */
function autoSubmit(ctx: StepContext, job: WatchJob, recordId: string): void {
  const { workflowTemplate, classification, flags } = job.options;
  if (!workflowTemplate) return;
  try {
    const owner = ctx.desk.actorFor(folderOwner(ctx.desk.store, job.folderId));
    const template = ctx.desk.workflow.template(workflowTemplate).template;
    // On a desk without users the vault-passphrase holder ("desk", an admin) configured the folder: it submits
    // in the template's first submitting role, as the desk always did; nobody can approve as "desk".
    const actor = owner.name === 'desk' && !owner.roles.some((r) => template.submitRoles.includes(r)) ? { ...owner, roles: template.submitRoles.slice(0, 1) } : owner;
    ctx.desk.workflow.submit(actor, recordId, {
      template: workflowTemplate,
      ...(classification ? { classification } : {}),
      flags,
      note: `signed from the hot folder ${job.folderId}: ${job.relPath}`,
    }, ctx.now());
  } catch (e) {
    // The folder's settings, not the disk: retrying cannot help, so the file is set aside with the reason.
    if (e instanceof CustodyError) throw new CustodyError('WORKFLOW_TRANSITION_REFUSED', `expected to submit into the folder's workflow, but it was refused: ${e.code}: ${e.message}`);
    throw e;
  }
}

/** The first variant of `base` from `from` on whose name and companions are all free on disk. */
async function firstFree(fs: WatchFs, base: string, from: number, companions: (p: string) => string[]): Promise<{ path: string; n: number }> {
  for (let n = from; ; n++) {
    const path = variant(base, n);
    let free = true;
    for (const p of [path, ...companions(path)]) if (await exists(fs, p)) free = false;
    if (free) return { path, n };
  }
}

async function plan(ctx: StepContext, job: WatchJob): Promise<WatchJob> {
  const db = ctx.desk.store;
  const signing = job.disposition === 'sign';
  const rel = fitRel(job.relPath);
  const originalBase = under(job.outDir, `${signing ? ORIGINALS_DIR : REJECTED_DIR}/${rel}`);
  const outputBase = under(job.outDir, rel);
  let fromOutput = 1;
  let fromOriginal = 1;
  for (;;) {
    const output = signing ? await firstFree(ctx.fs, outputBase, fromOutput, (p) => [receiptPathOf(p)]) : null;
    const original = await firstFree(ctx.fs, originalBase, fromOriginal, (p) => (signing ? [] : [errorNotePathOf(p)]));
    // From here on nothing awaits, so no other job can choose a name in between: the database check and the
    // commit see the same state.
    if (output && pathsTaken(db, [output.path, receiptPathOf(output.path)])) {
      fromOutput = output.n + 1;
      continue;
    }
    if (pathsTaken(db, signing ? [original.path] : [original.path, errorNotePathOf(original.path)])) {
      fromOriginal = original.n + 1;
      continue;
    }
    const notePath = output ? receiptPathOf(output.path) : errorNotePathOf(original.path);
    return markPlacing(db, job.id, { outputPath: output?.path ?? null, originalPath: original.path, notePath }, ctx.now());
  }
}

async function place(ctx: StepContext, job: WatchJob): Promise<WatchJob> {
  const { fs } = ctx;
  const db = ctx.desk.store;
  const stagedPath = job.stagedPath!;
  const originalPath = job.originalPath!;
  const notePath = job.notePath!;
  try {
    if (job.disposition === 'sign') {
      const record = getRecord(db, job.recordId!);
      if (!record?.outputPath || !record.outputSha256) throw new Error(`watch job ${job.id}: expected record ${job.recordId} with its signed output, got none`);
      const outputPath = job.outputPath!;
      await placeFile(fs, record.outputPath, outputPath, record.outputSha256);
      await placeFile(fs, stagedPath, originalPath, job.sha256!);
      await writeNew(fs, notePath, receiptText(job, record, outputPath, originalPath));
    } else {
      // An entry set aside unread (a link, a pipe) is moved as it is, never read or followed.
      if (job.sha256 === UNREAD) await moveUnread(fs, stagedPath, originalPath);
      else await placeFile(fs, stagedPath, originalPath, job.sha256!);
      await writeNew(fs, notePath, errorNoteText(job));
    }
  } catch (e) {
    if (e instanceof NameTaken) return renameTaken(ctx, job, e.path);
    throw e;
  }
  const done = finishJob(db, job.id, ctx.now());
  const jobDir = dirname(dirname(stagedPath));
  await removeEmptyDirs(fs, [join(jobDir, 'signed'), dirname(stagedPath), jobDir]);
  return done;
}

/** Someone put a foreign file at one of this job's final names: pick another name for the files not yet placed. */
async function renameTaken(ctx: StepContext, job: WatchJob, taken: string): Promise<WatchJob> {
  const db = ctx.desk.store;
  const free = async (base: string, companions: (p: string) => string[]) => {
    for (let from = 2; ; ) {
      const c = await firstFree(ctx.fs, base, from, companions);
      if (!pathsTaken(db, [c.path, ...companions(c.path)])) return c.path;
      from = c.n + 1;
    }
  };
  if (taken === job.outputPath) {
    const outputPath = await free(job.outputPath, (p) => [receiptPathOf(p)]);
    return repath(db, job.id, { outputPath, notePath: receiptPathOf(outputPath) }, ctx.now());
  }
  if (taken === job.originalPath) {
    if (job.disposition === 'sign') return repath(db, job.id, { originalPath: await free(taken, () => []) }, ctx.now());
    const originalPath = await free(taken, (p) => [errorNotePathOf(p)]);
    return repath(db, job.id, { originalPath, notePath: errorNotePathOf(originalPath) }, ctx.now());
  }
  return repath(db, job.id, { notePath: await free(taken, () => []) }, ctx.now());
}

async function crossDevice(fs: WatchFs, a: string, b: string): Promise<boolean> {
  try {
    return (await fs.stat(a)).dev !== (await fs.stat(dirname(b))).dev;
  } catch (e) {
    throw ioError(`look at ${a} and ${b}`, e);
  }
}

async function readdirOrEmpty(fs: WatchFs, dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return [];
    throw ioError(`list ${dir}`, e);
  }
}

/** Removes the queue's own staging folders once empty; a folder that is not empty is left alone. */
async function removeEmptyDirs(fs: WatchFs, dirs: string[]): Promise<void> {
  for (const d of dirs) await fs.rmdir(d).catch(() => undefined);
}
