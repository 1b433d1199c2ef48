// Watched folders as stored in the desk database, so that the desktop app resumes them at start-up and the CLI
// and the app see the same list. One engine at a time holds a folder, through a lease with a heartbeat.
import { randomBytes } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { AuditLog } from '../audit/log.ts';
import { authorizeActor, folderOwnerOrAdmin } from '../authz/policy.ts';
import type { Actor } from '../directory/roles.ts';
import { CustodyError } from '../errors.ts';
import { sql, type ReadableDB, type WritableDB } from '../store/db.ts';
import { processAlive } from '../store/scratch.ts';
import { getTemplate } from '../workflow/template.ts';
import { confine } from '../paths/confine.ts';
import { nested } from './paths.ts';

/** What is done with each file of a folder besides signing it (carried on every job as data). */
export interface WatchFolderOptions {
  /** Workflow template the signed item is submitted into. */
  workflowTemplate: string | null;
  /** Classification given to every item (e.g. "internal", "embargoed"). */
  classification: string | null;
  /** Compliance flags set on every item (e.g. "personal-data", "trademark"). */
  flags: string[];
  /** IPTC digital source type for the C2PA `c2pa.created` action (full URI). */
  digitalSourceType: string | null;
}

export interface WatchFolder extends WatchFolderOptions {
  id: string;
  path: string;
  outDir: string;
  concurrency: number;
  /** How long size and modification time must stay unchanged before a file is taken. */
  stableMs: number;
  createdAt: string;
  updatedAt: string;
  /** Who configured the folder: its files are signed and submitted as theirs (four-eyes counts them so). */
  createdBy: string;
  lease: { owner: string; expiresAt: string } | null;
}

export interface WatchFolderInput {
  path: string;
  outDir: string;
  concurrency?: number;
  stableMs?: number;
  options?: Partial<WatchFolderOptions>;
}

export const DEFAULT_STABLE_MS = 2000;
export const MAX_CONCURRENCY = 32;
const IPTC_SOURCE_TYPE_BASE = 'http://cv.iptc.org/newscodes/digitalsourcetype/';
const IPTC_SOURCE_TYPE = /^https?:\/\/cv\.iptc\.org\/newscodes\/digitalsourcetype\/[A-Za-z]+$/;
const FLAG = /^[a-z0-9][a-z0-9._:-]{0,63}$/;

interface Row {
  id: string;
  path: string;
  out_dir: string;
  concurrency: number;
  stable_ms: number;
  workflow_template: string | null;
  classification: string | null;
  flags: string;
  digital_source_type: string | null;
  created_at: string;
  updated_at: string;
  created_by: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
}

const fromRow = (r: Row): WatchFolder => ({
  id: r.id,
  path: r.path,
  outDir: r.out_dir,
  concurrency: r.concurrency,
  stableMs: r.stable_ms,
  workflowTemplate: r.workflow_template,
  classification: r.classification,
  flags: JSON.parse(r.flags) as string[],
  digitalSourceType: r.digital_source_type,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  createdBy: r.created_by ?? 'desk',
  lease: r.lease_owner && r.lease_expires_at ? { owner: r.lease_owner, expiresAt: r.lease_expires_at } : null,
});

export const folderOptions = (f: WatchFolder): WatchFolderOptions => ({
  workflowTemplate: f.workflowTemplate,
  classification: f.classification,
  flags: f.flags,
  digitalSourceType: f.digitalSourceType,
});

function realOrResolved(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new CustodyError('INVALID_ARGUMENT', `expected ${name} to be a whole number from ${min} to ${max}, got ${String(v)}`);
  }
  return v;
}

function checkText(name: string, v: string | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  const t = v.trim();
  if (t === '' || t.length > 200) throw new CustodyError('INVALID_ARGUMENT', `expected ${name} of 1 to 200 characters, got ${JSON.stringify(v)}`);
  return t;
}

/** Accepts a full IPTC digital source type URI or its last segment ("digitalCapture"). */
export function normaliseDigitalSourceType(v: string | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  const full = /^[A-Za-z]+$/.test(v) ? IPTC_SOURCE_TYPE_BASE + v : v;
  if (!IPTC_SOURCE_TYPE.test(full)) {
    throw new CustodyError('INVALID_ARGUMENT', `expected an IPTC digital source type (${IPTC_SOURCE_TYPE_BASE}digitalCapture, or just digitalCapture), got ${JSON.stringify(v)}`);
  }
  return full;
}

function checkFlags(flags: readonly string[] | undefined): string[] {
  const out = [...new Set(flags ?? [])];
  for (const f of out) {
    if (!FLAG.test(f)) throw new CustodyError('INVALID_ARGUMENT', `expected a flag of lower-case letters, digits and ._:- (e.g. personal-data), got ${JSON.stringify(f)}`);
  }
  return out;
}

function checkOptions(db: ReadableDB, o: Partial<WatchFolderOptions>, base?: WatchFolderOptions): WatchFolderOptions {
  const workflowTemplate = 'workflowTemplate' in o ? checkText('a workflow template', o.workflowTemplate) : (base?.workflowTemplate ?? null);
  if (workflowTemplate && !getTemplate(db, workflowTemplate)) {
    throw new CustodyError('NOT_FOUND', `expected a workflow template to submit into, got ${JSON.stringify(workflowTemplate)}, which this desk does not have`);
  }
  return {
    workflowTemplate,
    classification: 'classification' in o ? checkText('a classification', o.classification) : (base?.classification ?? null),
    flags: 'flags' in o ? checkFlags(o.flags) : (base?.flags ?? []),
    digitalSourceType: 'digitalSourceType' in o ? normaliseDigitalSourceType(o.digitalSourceType) : (base?.digitalSourceType ?? null),
  };
}

/** Where watched folders may live: never the desk's own data folder, and only under the admin-set allowed roots. */
export interface FolderRules {
  home: string;
  allowedRoots: readonly string[];
}

/**
 * Validates the two folders (core/paths/confine.ts): both under the allowed roots, neither the desk's data folder
 * nor a folder holding it nor a system folder; IN an existing folder, and neither containing the other.
 */
export function confineFolders(path: string, outDir: string, rules: FolderRules): { path: string; outDir: string } {
  const within = { home: rules.home, within: rules.allowedRoots };
  const inPath = confine(path, 'folder', within);
  let isDir = false;
  try {
    isDir = statSync(inPath).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new CustodyError('NOT_FOUND', `expected a folder to watch at ${inPath}, but there is none`);
  const out = confine(outDir, 'folder', within);
  if (nested(inPath, out)) {
    throw new CustodyError('INVALID_ARGUMENT', `expected an output folder outside the watched folder and not containing it, got ${out} for ${inPath}`);
  }
  return { path: inPath, outDir: out };
}

/** Object check of the policy: only the folder's owner or an admin changes or removes it. */
export function checkFolderOwner(by: Actor, f: WatchFolder, what: string): void {
  if (!folderOwnerOrAdmin(by, f.createdBy)) {
    throw new CustodyError('NOT_PERMITTED', `expected ${f.createdBy}, who configured ${f.path}, or an admin to ${what} it, got ${by.name} with ${by.roles.join(', ') || 'no roles'}`);
  }
}

/** Who a folder's files are signed and submitted as, also once the folder was removed (its jobs may still finish). */
export function folderOwner(db: ReadableDB, folderId: string): string {
  return db.get<{ created_by: string | null }>(sql`SELECT created_by FROM watch_folders WHERE id = ${folderId}`)?.created_by ?? 'desk';
}

export function getWatchFolder(db: ReadableDB, idOrPath: string): WatchFolder | null {
  const row =
    db.get<Row>(sql`SELECT * FROM watch_folders WHERE id = ${idOrPath} AND removed_at IS NULL`) ??
    db.get<Row>(sql`SELECT * FROM watch_folders WHERE path = ${realOrResolved(idOrPath)} AND removed_at IS NULL`);
  return row ? fromRow(row) : null;
}

export function requireWatchFolder(db: ReadableDB, idOrPath: string): WatchFolder {
  const f = getWatchFolder(db, idOrPath);
  if (!f) throw new CustodyError('NOT_FOUND', `expected a watched folder ${idOrPath}, but none is registered (see \`custody watch-folders list\`)`);
  return f;
}

export function listWatchFolders(db: ReadableDB): WatchFolder[] {
  return db.all<Row>(sql`SELECT * FROM watch_folders WHERE removed_at IS NULL ORDER BY created_at, id`).map(fromRow);
}

/**
 * The desk's database and audit log: a folder signs and submits as whoever configured it, so every change of who
 * that is and of what it submits (template, classification, flags) is an audit entry in the change's transaction.
 */
export interface FolderStore {
  store: WritableDB;
  audit: AuditLog;
}

/** What a folder's audit entries say about it: where it reads and writes, and how it submits what it signs. */
const folderDetails = (f: WatchFolder): Record<string, unknown> => ({
  path: f.path, outDir: f.outDir, workflowTemplate: f.workflowTemplate, classification: f.classification, flags: f.flags, digitalSourceType: f.digitalSourceType,
});

/** Stores a folder configured by `by` (an editor or an admin), who owns what it signs and submits. */
export function addWatchFolder(d: FolderStore, by: Actor, input: WatchFolderInput, rules: FolderRules, now: Date = new Date()): WatchFolder {
  const db = d.store;
  authorizeActor('watchAdd', by);
  const { path, outDir } = confineFolders(input.path, input.outDir, rules);
  const concurrency = checkInt('the concurrency', input.concurrency ?? 1, 1, MAX_CONCURRENCY);
  const stableMs = checkInt('the stability time in ms', input.stableMs ?? DEFAULT_STABLE_MS, 0, 600_000);
  const o = checkOptions(db, input.options ?? {});
  const at = now.toISOString();
  const id = `wf_${randomBytes(8).toString('hex')}`;
  return d.audit.act(() => {
    if (getWatchFolder(db, path)) throw new CustodyError('INVALID_ARGUMENT', `expected ${path} not to be watched yet, but it is (see \`custody watch-folders list\`)`);
    for (const f of listWatchFolders(db)) {
      if (nested(f.path, path) || nested(f.outDir, path) || nested(f.path, outDir)) {
        throw new CustodyError('INVALID_ARGUMENT', `expected ${path} → ${outDir} to stay clear of the watched folder ${f.path} → ${f.outDir}, but they overlap`);
      }
    }
    db.run(sql`INSERT INTO watch_folders (id, path, out_dir, concurrency, stable_ms, workflow_template, classification, flags,
        digital_source_type, created_at, updated_at, created_by)
      VALUES (${id}, ${path}, ${outDir}, ${concurrency}, ${stableMs}, ${o.workflowTemplate}, ${o.classification},
        ${JSON.stringify(o.flags)}, ${o.digitalSourceType}, ${at}, ${at}, ${by.name})`);
    const f = requireWatchFolder(db, id);
    d.audit.append({ actor: by.name, action: 'watch.folder_added', subject: id, details: folderDetails(f), at });
    return f;
  });
}

/**
 * Changes a folder's output folder or options (its owner or an admin: the folder submits as its owner); jobs
 * already claimed finish with what they were claimed with.
 */
export function updateWatchFolder(
  d: FolderStore,
  by: Actor,
  idOrPath: string,
  patch: Omit<Partial<WatchFolderInput>, 'path'>,
  rules: FolderRules,
  now: Date = new Date(),
): WatchFolder {
  const db = d.store;
  const f = requireWatchFolder(db, idOrPath);
  checkFolderOwner(by, f, 'change');
  const outDir = confineFolders(f.path, patch.outDir ?? f.outDir, rules).outDir;
  const concurrency = checkInt('the concurrency', patch.concurrency ?? f.concurrency, 1, MAX_CONCURRENCY);
  const stableMs = checkInt('the stability time in ms', patch.stableMs ?? f.stableMs, 0, 600_000);
  const o = checkOptions(db, patch.options ?? {}, folderOptions(f));
  return d.audit.act(() => {
    db.run(sql`UPDATE watch_folders SET out_dir = ${outDir}, concurrency = ${concurrency}, stable_ms = ${stableMs},
        workflow_template = ${o.workflowTemplate}, classification = ${o.classification}, flags = ${JSON.stringify(o.flags)},
        digital_source_type = ${o.digitalSourceType}, updated_at = ${now.toISOString()}
      WHERE id = ${f.id}`);
    const next = requireWatchFolder(db, f.id);
    const before = folderDetails(f);
    const after = folderDetails(next);
    const changed = Object.keys(after).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    if (changed.length > 0) {
      d.audit.append({
        actor: by.name, action: 'watch.folder_changed', subject: f.id,
        details: { owner: f.createdBy, from: Object.fromEntries(changed.map((k) => [k, before[k]])), to: Object.fromEntries(changed.map((k) => [k, after[k]])) },
        at: now.toISOString(),
      });
    }
    return next;
  });
}

/**
 * Stops watching a folder for good. Refused while an engine holds it or files are in flight, so that no file
 * is left half-way; its jobs stay in the database as history.
 */
export function removeWatchFolder(d: FolderStore, by: Actor, idOrPath: string, now: Date = new Date()): WatchFolder {
  const db = d.store;
  authorizeActor('watchRemove', by);
  return d.audit.act(() => {
    const f = requireWatchFolder(db, idOrPath);
    checkFolderOwner(by, f, 'remove');
    if (f.lease && !leaseIsFree(f.lease, now)) {
      throw new CustodyError('WATCH_FOLDER_BUSY', `expected ${f.path} not to be watched right now, got it held by ${describeOwner(f.lease.owner)}; stop that watcher first`);
    }
    const open = db.get<{ n: number }>(sql`SELECT count(*) AS n FROM watch_jobs WHERE folder_id = ${f.id}
      AND state IN ('claimed', 'staged', 'signed', 'placing')`)?.n ?? 0;
    if (open > 0) {
      throw new CustodyError('WATCH_FOLDER_BUSY', `expected no files in flight in ${f.path}, got ${open}; run \`custody watch ${f.path}\` to finish them first`);
    }
    db.run(sql`UPDATE watch_folders SET removed_at = ${now.toISOString()}, lease_owner = NULL, lease_expires_at = NULL WHERE id = ${f.id}`);
    d.audit.append({ actor: by.name, action: 'watch.folder_removed', subject: f.id, details: { path: f.path }, at: now.toISOString() });
    return f;
  });
}

// Leases. The owner is "host|pid|nonce": a lease whose process is gone on this host is free at once (a restart
// after kill -9 need not wait), one from another host only once it expires.

export function newLeaseOwner(): string {
  return `${hostname()}|${process.pid}|${randomBytes(4).toString('hex')}`;
}

function describeOwner(owner: string): string {
  const [host, pid] = owner.split('|');
  return `process ${pid ?? '?'} on ${host ?? '?'}`;
}


function leaseIsFree(lease: { owner: string; expiresAt: string }, now: Date): boolean {
  if (Date.parse(lease.expiresAt) <= now.getTime()) return true;
  const [host, pid] = lease.owner.split('|');
  return host === hostname() && Number(pid) !== process.pid && !processAlive(Number(pid));
}

/** Takes the folder for `owner` until now + ttlMs, or throws WATCH_FOLDER_BUSY. */
export function acquireLease(db: WritableDB, folderId: string, owner: string, ttlMs: number, now: Date = new Date()): WatchFolder {
  return db.transaction(() => {
    const f = requireWatchFolder(db, folderId);
    if (f.lease && f.lease.owner !== owner && !leaseIsFree(f.lease, now)) {
      throw new CustodyError('WATCH_FOLDER_BUSY', `expected ${f.path} to be free, got it watched by ${describeOwner(f.lease.owner)} until ${f.lease.expiresAt}`);
    }
    db.run(sql`UPDATE watch_folders SET lease_owner = ${owner}, lease_expires_at = ${new Date(now.getTime() + ttlMs).toISOString()} WHERE id = ${f.id}`);
    return requireWatchFolder(db, f.id);
  });
}

/** Extends the lease; false when another owner has taken it meanwhile. */
export function renewLease(db: WritableDB, folderId: string, owner: string, ttlMs: number, now: Date = new Date()): boolean {
  const expires = new Date(now.getTime() + ttlMs).toISOString();
  return db.run(sql`UPDATE watch_folders SET lease_expires_at = ${expires} WHERE id = ${folderId} AND lease_owner = ${owner}`).changes === 1;
}

export function releaseLease(db: WritableDB, folderId: string, owner: string): void {
  db.run(sql`UPDATE watch_folders SET lease_owner = NULL, lease_expires_at = NULL WHERE id = ${folderId} AND lease_owner = ${owner}`);
}
