// Guessing limits for logins and vault unlocks: a few free failures, then a wait that doubles with every further
// failure up to an hour (OWASP Authentication Cheat Sheet, "Protect Against Automated Attacks"; a lockout that
// ends, so that a guesser cannot lock an admin out for good). Counts live in the database, so that every process
// on the desk sees the same ones.
//
// An attempt is counted as failed *before* the secret is checked and forgiven only once it succeeds: a guesser
// who starts many attempts at once (separate `custody` processes) cannot slip them all through one check.
import { CustodyError } from '../errors.ts';
import { sql, type WritableDB } from '../store/db.ts';

export interface ThrottlePolicy {
  /** Failures in a row before the first wait. */
  freeFailures: number;
  firstLockMs: number;
  maxLockMs: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = { freeFailures: 5, firstLockMs: 60_000, maxLockMs: 3_600_000 };

interface Row {
  failures: number;
  last_failure_at: string;
  locked_until: string | null;
}

export interface ThrottleState {
  failures: number;
  lockedUntil: string | null;
}

export class AttemptThrottle {
  readonly #db: WritableDB;
  readonly #policy: ThrottlePolicy;

  constructor(db: WritableDB, policy: ThrottlePolicy = DEFAULT_THROTTLE) {
    this.#db = db;
    this.#policy = policy;
  }

  state(key: string): ThrottleState {
    const r = this.#db.get<Row>(sql`SELECT failures, last_failure_at, locked_until FROM auth_throttle WHERE key = ${key}`);
    return { failures: r?.failures ?? 0, lockedUntil: r?.locked_until ?? null };
  }

  /**
   * Before a secret is checked: throws RATE_LIMITED while `key` is locked, else counts this attempt as a failure
   * (and locks the next attempt if it is one too many) until succeeded() forgives it.
   */
  begin(key: string, what: string, now: Date): void {
    const at = now.toISOString();
    this.#db.transaction(() => {
      const r = this.#db.get<Row>(sql`SELECT failures, last_failure_at, locked_until FROM auth_throttle WHERE key = ${key}`);
      if (r?.locked_until && r.locked_until > at) {
        const seconds = Math.ceil((Date.parse(r.locked_until) - now.getTime()) / 1000);
        throw new CustodyError('RATE_LIMITED', `expected at most ${this.#policy.freeFailures} failed attempts in a row at ${what}, got ${r.failures}: try again in ${seconds} s (after ${r.locked_until})`, { retryAfterSec: seconds });
      }
      const failures = (r?.failures ?? 0) + 1;
      const over = failures - this.#policy.freeFailures;
      const lockedUntil = over >= 0 ? new Date(now.getTime() + Math.min(this.#policy.firstLockMs * 2 ** Math.min(over, 30), this.#policy.maxLockMs)).toISOString() : null;
      this.#db.run(sql`INSERT INTO auth_throttle (key, failures, last_failure_at, locked_until) VALUES (${key}, ${failures}, ${at}, ${lockedUntil})
        ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until`);
    });
  }

  /** The attempt checked nothing (the directory was unreachable): it is taken back, and any lock it caused. */
  uncount(key: string): void {
    const free = this.#policy.freeFailures;
    this.#db.run(sql`UPDATE auth_throttle SET failures = max(failures - 1, 0),
      locked_until = CASE WHEN failures - 1 < ${free} THEN NULL ELSE locked_until END WHERE key = ${key}`);
  }

  /** The secret was right: the attempt and the failures before it are forgiven. */
  succeeded(key: string): void {
    this.#db.run(sql`DELETE FROM auth_throttle WHERE key = ${key}`);
  }
}
