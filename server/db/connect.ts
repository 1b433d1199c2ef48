// Opens the hub's database: SQLite (better-sqlite3) in a data folder by default, PostgreSQL (pg) for production.
// Either way the schema is brought up to date with the one set of migrations, under Kysely's migration lock, so
// several hub processes starting together on one PostgreSQL migrate it once.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import pg from 'pg';
import { CustodyError } from '../../core/errors.ts';
import * as m0001 from './migrations/0001-initial.ts';
import * as m0002 from './migrations/0002-tlog.ts';
import * as m0003 from './migrations/0003-anchor.ts';
import * as m0004 from './migrations/0004-publications.ts';
import * as m0005 from './migrations/0005-manifest-labels.ts';
import * as m0006 from './migrations/0006-record-signature.ts';
import type { Dialect, HubKysely, HubSchema } from './schema.ts';

export const SQLITE_FILE = 'hub.sqlite';

export interface HubDatabase {
  db: HubKysely;
  dialect: Dialect;
  /** Where the data is, for logs: the SQLite file or the PostgreSQL URL without its password. */
  location: string;
  close(): Promise<void>;
}

const MIGRATIONS: Record<string, { up(db: Kysely<unknown>, dialect: Dialect): Promise<void> }> = {
  '0001-initial': m0001,
  '0002-tlog': m0002,
  '0003-anchor': m0003,
  '0004-publications': m0004,
  '0005-manifest-labels': m0005,
  '0006-record-signature': m0006,
};

/** `postgres://` or `postgresql://` URLs go to PostgreSQL; anything else is an error (SQLite is chosen by dataDir). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

export async function openHubDatabase(opts: { database?: string | null; dataDir?: string; poolSize?: number }): Promise<HubDatabase> {
  let hub: HubDatabase;
  if (opts.database) {
    if (!isPostgresUrl(opts.database)) {
      throw new CustodyError('INVALID_ARGUMENT', `expected a database URL starting with postgres:// or postgresql://, got ${JSON.stringify(opts.database.slice(0, 40))}`);
    }
    const pool = new pg.Pool({ connectionString: opts.database, max: opts.poolSize ?? 10 });
    // An idle client that loses its server emits 'error'; the pool replaces it, and queries report their own failures.
    pool.on('error', () => {});
    const db = new Kysely<HubSchema>({ dialect: new PostgresDialect({ pool }) });
    hub = { db, dialect: 'postgres', location: redactUrl(opts.database), close: () => db.destroy() };
  } else {
    const dir = resolve(opts.dataDir ?? '.');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, SQLITE_FILE);
    const sqlite = new Database(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('synchronous = NORMAL');
    const db = new Kysely<HubSchema>({ dialect: new SqliteDialect({ database: sqlite }) });
    hub = { db, dialect: 'sqlite', location: file, close: () => db.destroy() };
  }
  try {
    await migrate(hub);
  } catch (e) {
    await hub.close();
    if (e instanceof CustodyError) throw e;
    throw new CustodyError('HUB_UNREACHABLE', `expected to open and migrate the hub database at ${hub.location}, got: ${(e as Error).message}`, undefined, { cause: e });
  }
  return hub;
}

async function migrate(hub: HubDatabase): Promise<void> {
  const provider: MigrationProvider = {
    getMigrations: async () =>
      Object.fromEntries(Object.entries(MIGRATIONS).map(([name, mod]): [string, Migration] => [name, { up: (db) => mod.up(db, hub.dialect) }])),
  };
  const { error, results } = await new Migrator({ db: hub.db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${(error as Error).message ?? String(error)}`);
  }
}
