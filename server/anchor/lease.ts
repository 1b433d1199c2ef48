// One hub process anchors at a time: a named row holds the holder's id and when its lease ends. Taking it is one
// INSERT … ON CONFLICT DO UPDATE … WHERE (SQLite and PostgreSQL alike), which succeeds only for the holder itself or
// once the lease ran out, so two processes cannot both take a live lease. The holder renews it every round; a
// process that dies (kill -9) simply stops renewing, and another takes over when the lease ends.
import { randomUUID } from 'node:crypto';
import type { HubKysely } from '../db/schema.ts';

export const DEFAULT_LEASE_MS = 15_000;

export class Lease {
  readonly holder = `${process.pid}-${randomUUID()}`;
  readonly #db: HubKysely;
  readonly #name: string;
  readonly #ms: number;

  constructor(db: HubKysely, name: string, ms = DEFAULT_LEASE_MS) {
    this.#db = db;
    this.#name = name;
    this.#ms = ms;
  }

  /** Takes or renews the lease; true when this process holds it until now + the lease time. */
  async acquire(now = new Date()): Promise<boolean> {
    const expires = new Date(now.getTime() + this.#ms).toISOString();
    await this.#db.insertInto('anchor_locks').values({ name: this.#name, holder: this.holder, expires_at: expires })
      .onConflict((oc) => oc.column('name').doUpdateSet({ holder: this.holder, expires_at: expires })
        .where((eb) => eb.or([eb('anchor_locks.holder', '=', this.holder), eb('anchor_locks.expires_at', '<', now.toISOString())])))
      .execute();
    const row = await this.#db.selectFrom('anchor_locks').select('holder').where('name', '=', this.#name).executeTakeFirst();
    return row?.holder === this.holder;
  }

  /** Gives the lease up (a clean stop), so another process need not wait for it to run out. */
  async release(): Promise<void> {
    await this.#db.deleteFrom('anchor_locks').where('name', '=', this.#name).where('holder', '=', this.holder).execute();
  }
}
