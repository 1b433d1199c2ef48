// Files a browser sends to web mode: kept in a private temporary folder (0700, each file 0600) outside the desk's
// data folder, refused past the media limits (known from the first bytes, before the rest is read), usable only
// by the session that sent them, and deleted once the call that used them has answered, whether it succeeded or
// failed (or after a while unused, or when the server stops; what a crashed server left is swept at the next start).
// The name a browser gives is only ever the last part of a file name, cleaned, inside a folder of 128 random bits.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CustodyError } from '../core/errors.ts';
import { formatBytes, isImageFormat, sniff, unsupported, type Limits } from '../core/media/detect.ts';
import { MAX_VIDEO_BYTES } from '../core/provenance/sign-video.ts';
import { sweepDeadFolders } from '../core/store/scratch.ts';

/** What an upload may weigh, from its first bytes: the desk's image limit, the video limit, or nothing at all. */
function limitFor(head: Uint8Array, limits: Limits): number {
  const format = sniff(head);
  if (!format) throw unsupported(head);
  return isImageFormat(format) ? limits.maxImageBytes : MAX_VIDEO_BYTES;
}

const HEAD = 32;
/** An upload not used by a sign or verify within this long is deleted. */
export const UPLOAD_TTL_MS = 15 * 60_000;
/** What the uploads folders of web-mode servers are called in the temporary folder: PREFIX<pid>-<random>. */
const PREFIX = 'custody-uploads-';
/** Uploads without an account are kept a shorter while: a verification follows them at once. */
export const ANONYMOUS_TTL_MS = 2 * 60_000;
/** Who owns an upload sent without a login (on a desk with users): nobody in particular. */
export const ANONYMOUS = 'anonymous';

/** A file name as a browser sent it, as it may be written: its last part, without controls or separators, not too long. */
export function uploadName(name: string): string {
  const last = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = last.replace(/[\u0000-\u001f\u007f:*?"<>|]/g, '_').slice(-120).trim();
  return clean === '' || /^\.+$/.test(clean) ? 'upload.bin' : clean;
}

/**
 * Removes the uploads folders that servers which are no longer running left in `tmp` (a crash, a kill -9): only
 * this user's, and only those whose process is gone, so that another desk's web mode keeps its own.
 */
export function sweepLeftovers(tmp = tmpdir()): string[] {
  return sweepDeadFolders(tmp, PREFIX);
}

interface Upload {
  owner: string;
  at: number;
  bytes: number;
}

/**
 * What one owner may hold at once (web mode gives it to uploads without a login): files and bytes, counting uploads
 * still arriving from their first byte, so that a visitor cannot open any number of them side by side.
 */
export interface UploadQuota {
  files: number;
  bytes: number;
}

/** RATE_LIMITED when what `held` holds, with `more` to come, is past the quota. */
function checkQuota(held: { files: number; bytes: number }, quota: UploadQuota, more = { files: 0, bytes: 0 }): void {
  if (held.files + more.files > quota.files) {
    throw new CustodyError('RATE_LIMITED', `expected at most ${quota.files} files waiting to be verified without a login, got more: try again in a minute`);
  }
  if (held.bytes + more.bytes > quota.bytes) {
    throw new CustodyError('RATE_LIMITED', `expected at most ${formatBytes(quota.bytes)} of files waiting to be verified without a login, got more: try again in a minute`);
  }
}

export class Uploads {
  /** The private folder every upload lives under. */
  readonly dir: string;
  readonly #files = new Map<string, Upload>();
  /** Uploads still arriving, per owner: how many, and the bytes received so far. */
  readonly #arriving = new Map<string, { files: number; bytes: number }>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(tmp = tmpdir()) {
    sweepLeftovers(tmp);
    this.dir = mkdtempSync(join(tmp, `${PREFIX}${process.pid}-`)); // mkdtemp creates it 0700
    this.#sweeper = setInterval(() => this.sweep(), 60_000);
    this.#sweeper.unref();
  }

  /** A browser without a login, by its visitor id (a hash of it; none yet: an owner of nothing). */
  static anonymousOwner(visitor: string | null): string {
    return `${ANONYMOUS}/${visitor ? createHash('sha256').update(visitor).digest('hex') : 'none'}`;
  }

  /** Whether `owner` is a browser without a login: its uploads count against the anonymous quota, together. */
  static isAnonymous(owner: string): boolean {
    return owner === ANONYMOUS || owner.startsWith(`${ANONYMOUS}/`);
  }

  /** Who owns an upload: a hash of the login session (or "desk" on a desk without users), never the token itself. */
  static owner(sessionToken: string | null): string {
    return sessionToken ? createHash('sha256').update(sessionToken).digest('hex') : 'desk';
  }

  /** How many uploads this owner holds now (not yet used nor expired), and how many bytes, counting those still arriving. */
  held(owner: string): { files: number; bytes: number } {
    // the visitors without a login are held to one quota together, as they were when they were one owner: a visitor
    // id is free to mint, so a quota each would be no bound
    const same = (o: string) => (Uploads.isAnonymous(owner) ? Uploads.isAnonymous(o) : o === owner);
    const held = { files: 0, bytes: 0 };
    for (const [o, a] of this.#arriving) if (same(o)) {
      held.files += a.files;
      held.bytes += a.bytes;
    }
    for (const u of this.#files.values()) {
      if (!same(u.owner)) continue;
      held.files += 1;
      held.bytes += u.bytes;
    }
    return held;
  }

  /**
   * Streams the request body to a new 0600 file named `name`; refuses it past the limit its format allows, and past
   * the owner's `quota` (RATE_LIMITED): its place is taken before the first byte is read and given back if it fails.
   */
  async receive(req: IncomingMessage, owner: string, name: string, limits: Limits, quota?: UploadQuota): Promise<string> {
    const declared = Number(req.headers['content-length'] ?? NaN);
    const ceiling = Math.max(limits.maxImageBytes, MAX_VIDEO_BYTES);
    if (declared > ceiling) throw new CustodyError('FILE_TOO_LARGE', `expected an upload of at most ${formatBytes(ceiling)}, got ${formatBytes(declared)}`);
    if (quota) checkQuota(this.held(owner), quota, { files: 1, bytes: declared > 0 ? declared : 0 });
    // Taken here, with no await since the check: another upload of this owner cannot slip between the two.
    const arriving = this.#arriving.get(owner) ?? { files: 0, bytes: 0 };
    this.#arriving.set(owner, arriving);
    arriving.files += 1;
    let received = 0;
    try {
      return await this.#write(req, owner, name, limits, declared, (n) => {
        received += n;
        arriving.bytes += n;
        if (quota) checkQuota(this.held(owner), quota);
      });
    } finally {
      // Given back whatever happened; a finished upload is counted by its file from now on.
      arriving.files -= 1;
      arriving.bytes -= received;
      if (arriving.files === 0) this.#arriving.delete(owner);
    }
  }

  async #write(req: IncomingMessage, owner: string, name: string, limits: Limits, declared: number, onBytes: (n: number) => void): Promise<string> {
    // 128 random bits: the path is all an anonymous verifier holds, and another must not guess it.
    const folder = join(this.dir, randomBytes(16).toString('hex'));
    mkdirSync(folder, { mode: 0o700 });
    const target = join(folder, uploadName(name));
    let n = 0;
    let limit = Infinity;
    let head = Buffer.alloc(0);
    const decide = () => {
      limit = limitFor(head, limits);
      if (declared > limit) throw new CustodyError('FILE_TOO_LARGE', `expected a file of at most ${formatBytes(limit)}, got ${formatBytes(declared)}`);
    };
    const cap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        try {
          if (limit === Infinity) {
            head = Buffer.concat([head, chunk.subarray(0, HEAD)]).subarray(0, HEAD);
            if (head.length >= HEAD) decide();
          }
          n += chunk.length;
          if (n > limit) throw new CustodyError('FILE_TOO_LARGE', `expected a file of at most ${formatBytes(limit)}, got more`);
          onBytes(chunk.length);
          done(null, chunk);
        } catch (e) {
          done(e as Error);
        }
      },
      flush(done) {
        try {
          if (limit === Infinity) decide();
          done();
        } catch (e) {
          done(e as Error);
        }
      },
    });
    try {
      await pipeline(req, cap, createWriteStream(target, { flags: 'wx', mode: 0o600 }));
    } catch (e) {
      rmSync(folder, { recursive: true, force: true });
      throw e;
    }
    this.#files.set(target, { owner, at: Date.now(), bytes: n });
    return target;
  }

  /** The folders holding this owner's uploads: where its sign and verify calls may read. */
  foldersOf(owner: string): string[] {
    return [...this.#files].filter(([, u]) => u.owner === owner).map(([p]) => dirname(p));
  }

  /** Deletes this owner's uploads among `paths` (after the call that used them has answered). */
  consume(owner: string, paths: readonly string[]): void {
    for (const p of paths) {
      if (this.#files.get(p)?.owner === owner) this.#remove(p);
    }
  }

  #remove(p: string): void {
    this.#files.delete(p);
    rmSync(dirname(p), { recursive: true, force: true });
  }

  sweep(now = Date.now()): void {
    for (const [p, u] of [...this.#files]) if (now - u.at > (Uploads.isAnonymous(u.owner) ? ANONYMOUS_TTL_MS : UPLOAD_TTL_MS)) this.#remove(p);
  }

  close(): void {
    clearInterval(this.#sweeper);
    this.#files.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
