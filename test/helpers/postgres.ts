// PostgreSQL for the hub tests: a throw-away database per test file on the local server (.ci/run starts it).
// Connects as the role custody_test over TCP; when run as root and the role or the server is missing, sets them up
// through the postgres superuser (peer authentication on the unix socket). Tests skip, saying why, only when no
// server can be reached; with CUSTODY_REQUIRE_POSTGRES=1 (CI) they fail instead.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { enrolledDesk, type BenchDesk } from '../../bench/hub-load.ts';
import { openHubDatabase, type HubDatabase } from '../../server/db/connect.ts';
import type { IngestCaller } from '../../server/ingest/ingest.ts';
import { tempDir } from './cli.ts';

const ROLE = 'custody_test';
export const PG_ADMIN_URL = process.env.CUSTODY_TEST_PG_URL ?? `postgres://${ROLE}:${ROLE}@127.0.0.1:5432/postgres`;

function asPostgres(sqlText: string): void {
  execFileSync('runuser', ['-u', 'postgres', '--', 'psql', '-v', 'ON_ERROR_STOP=1', '-qAtc', sqlText], { stdio: 'pipe', timeout: 30_000 });
}

async function tryConnect(): Promise<Error | null> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
    await c.query('select 1');
    return null;
  } catch (e) {
    return e as Error;
  } finally {
    await c.end().catch(() => {});
  }
}

let availability: Promise<string | null> | null = null;

/** null when PostgreSQL is usable, else why not. */
export function postgresUnavailable(): Promise<string | null> {
  availability ??= (async () => {
    let e = await tryConnect();
    if (e && process.getuid?.() === 0 && !process.env.CUSTODY_TEST_PG_URL) {
      const first = e;
      const code = (first as Error & { code?: string }).code;
      try {
        if (code === 'ECONNREFUSED') execFileSync('pg_ctlcluster', ['15', 'main', 'start'], { stdio: 'pipe', timeout: 60_000 });
        asPostgres(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${ROLE}') THEN CREATE ROLE ${ROLE} LOGIN CREATEDB PASSWORD '${ROLE}'; ELSE ALTER ROLE ${ROLE} LOGIN CREATEDB PASSWORD '${ROLE}'; END IF; END $$;`);
        e = await tryConnect();
      } catch (setup) {
        e = new Error(`${first.message}; setting up the ${ROLE} role failed: ${(setup as Error).message.split('\n')[0]}`);
      }
    }
    if (!e) return null;
    const why = `PostgreSQL at ${PG_ADMIN_URL.replace(/:[^:@/]+@/, ':***@')} is not usable: ${e.message}`;
    if (process.env.CUSTODY_REQUIRE_POSTGRES === '1') throw new Error(`${why} (CUSTODY_REQUIRE_POSTGRES=1)`);
    return why;
  })();
  return availability;
}

/** A fresh, empty database; drop() removes it (and any connection left to it). */
export async function tempPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `custody_hub_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        // FORCE terminates the other sessions, but it fails ("other session using the database") when one of them
        // has not gone within its wait, and a role without pg_signal_backend may not terminate an autovacuum worker
        // (42501, seen after a million-row insert). Then: end this role's own sessions and drop without FORCE, which
        // stops autovacuum workers itself. Either way, try again a few times.
        for (let attempt = 1; ; attempt++) {
          try {
            await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            break;
          } catch (e) {
            if ((e as { code?: string }).code === '42501') {
              await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND usename = current_user AND pid <> pg_backend_pid()', [name]);
              const plain = await c.query(`DROP DATABASE IF EXISTS ${name}`).then(() => true, () => false);
              if (plain) break;
            }
            if (attempt >= 8) throw e;
            await new Promise((r) => setTimeout(r, 250 * attempt));
          }
        }
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * Where a test's hub keeps its data on `backend`: a fresh data folder named by `dirPrefix`, and for PostgreSQL a
 * throw-away database, which `drop` removes (a no-op for SQLite).
 */
export async function tempHubLocation(backend: 'sqlite' | 'postgres', dirPrefix: string): Promise<{ location: { database: string | null; dataDir: string }; drop(): Promise<void> }> {
  const d = backend === 'postgres' ? await tempPostgresDatabase() : null;
  return { location: { database: d?.url ?? null, dataDir: tempDir(dirPrefix) }, drop: async () => d?.drop() };
}

/**
 * A hub database for a test on `backend`, opened: a throw-away PostgreSQL database, or SQLite in a fresh data folder
 * named by `dirPrefix`. `close` closes it and drops the PostgreSQL one.
 */
export async function tempHubDatabase(backend: 'sqlite' | 'postgres', dirPrefix: string): Promise<{ hub: HubDatabase; close(): Promise<void> }> {
  const { location, drop } = await tempHubLocation(backend, dirPrefix);
  const hub = await openHubDatabase(location);
  return {
    hub,
    async close() {
      await hub.close();
      await drop();
    },
  };
}

/** A throw-away hub database with one organisation and its enrolled bench desk, and who ingests as that desk. */
export async function ingestingDesk(backend: 'sqlite' | 'postgres', dirPrefix: string, org: string): Promise<{ hub: HubDatabase; desk: BenchDesk; caller: IngestCaller; close(): Promise<void> }> {
  const temp = await tempHubDatabase(backend, dirPrefix);
  const desk = await enrolledDesk(temp.hub.db, org);
  const deskRow = await temp.hub.db.selectFrom('desks').select('id').where('tenant_id', '=', desk.tenantId).executeTakeFirstOrThrow();
  const key = await temp.hub.db.selectFrom('api_keys').select('id').where('tenant_id', '=', desk.tenantId).executeTakeFirstOrThrow();
  return { hub: temp.hub, desk, caller: { tenantId: desk.tenantId, deskId: deskRow.id, keyId: key.id }, close: () => temp.close() };
}
