// What a caller without an account may ask of web mode: verification is for anyone holding a copy, so uploads and
// verifications need no login, and these limits keep one source from filling the disk or the CPU with them. The
// desk listens on 127.0.0.1 only, so a "source" is the connection's address (one per machine on loopback).
import { CustodyError } from '../core/errors.ts';
import { MAX_VIDEO_BYTES } from '../core/provenance/sign-video.ts';

export interface AnonymousLimits {
  /** Uploads one source may send per minute without a login. */
  uploadsPerMinute: number;
  /**
   * Uploads without a login held at once, counted from their first byte (each is deleted once verified, or after
   * ANONYMOUS_TTL_MS).
   */
  held: number;
  /** Bytes of those uploads held at once, counting what has arrived of those still arriving. */
  heldBytes: number;
  /** Verifications without a login running at once. */
  verifying: number;
}

/** 5 GB held without a login: one video at the desk's largest, or many photos; never 8 of them (40 GB). */
export const ANONYMOUS_LIMITS: AnonymousLimits = { uploadsPerMinute: 30, held: 8, heldBytes: MAX_VIDEO_BYTES, verifying: 2 };

/**
 * Folder listings (the watch-folder picker, folderList) one login may ask for per minute: each reads a directory
 * under the allowed roots, so a script holding a login cannot walk the disk as fast as it likes. A person clicking
 * through folders asks a few a second at most.
 */
export const FOLDER_LISTINGS_PER_MINUTE = 120;

/** A fixed one-minute window of counts per key. */
export class PerMinute {
  readonly #limit: number;
  readonly #who: string;
  readonly #hits = new Map<string, { start: number; n: number }>();

  /** `who`: whom the limit is for, in the refusal ("without a login", "per login"). */
  constructor(limit: number, who = 'without a login') {
    this.#limit = limit;
    this.#who = who;
  }

  /** Counts one more for `key`; throws RATE_LIMITED past the limit. */
  take(key: string, what: string, now = Date.now()): void {
    let w = this.#hits.get(key);
    if (!w || now - w.start >= 60_000) {
      w = { start: now, n: 0 };
      this.#hits.set(key, w);
      // Old windows go once in a while, so that the map does not grow with every source ever seen.
      if (this.#hits.size > 1024) for (const [k, v] of this.#hits) if (now - v.start >= 60_000) this.#hits.delete(k);
    }
    if (w.n >= this.#limit) {
      throw new CustodyError('RATE_LIMITED', `expected at most ${this.#limit} ${what} a minute ${this.#who}, got more: wait ${Math.ceil((w.start + 60_000 - now) / 1000)} s${this.#who === 'without a login' ? ' or log in' : ''}`);
    }
    w.n += 1;
  }
}
