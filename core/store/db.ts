// The desk database: one SQLite file (better-sqlite3), WAL, foreign keys on, STRICT tables, and SQL written
// through a tagged template that parameterises every value (Signal's sql`` in ts/sql/util.std.ts).
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrate } from './migrate.ts';

export type SqlValue = string | number | bigint | Uint8Array | null;

export interface SqlQuery {
  readonly text: string;
  readonly params: readonly SqlValue[];
}

export function sql(strings: TemplateStringsArray, ...values: (SqlValue | undefined | boolean)[]): SqlQuery {
  return {
    text: strings.join('?'),
    params: values.map((v) => (v === undefined ? null : typeof v === 'boolean' ? (v ? 1 : 0) : v)),
  };
}

/** A read-only view: repositories that only read take this, so that a read path cannot write. */
export interface ReadableDB {
  all<T>(q: SqlQuery): T[];
  get<T>(q: SqlQuery): T | undefined;
}

export interface WritableDB extends ReadableDB {
  run(q: SqlQuery): { changes: number; lastInsertRowid: number | bigint };
  exec(script: string): void;
  /** Runs fn in one transaction (nested calls become savepoints); a throw rolls everything back. */
  transaction<T>(fn: () => T): T;
}

export class Store implements WritableDB {
  readonly raw: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(raw: Database.Database) {
    this.raw = raw;
  }

  #prepare(text: string): Database.Statement {
    let s = this.#statements.get(text);
    if (!s) {
      s = this.raw.prepare(text);
      this.#statements.set(text, s);
    }
    return s;
  }

  all<T>(q: SqlQuery): T[] {
    return this.#prepare(q.text).all(...q.params) as T[];
  }

  get<T>(q: SqlQuery): T | undefined {
    return this.#prepare(q.text).get(...q.params) as T | undefined;
  }

  run(q: SqlQuery): { changes: number; lastInsertRowid: number | bigint } {
    return this.#prepare(q.text).run(...q.params);
  }

  exec(script: string): void {
    this.raw.exec(script);
  }

  transaction<T>(fn: () => T): T {
    return this.raw.transaction(fn)();
  }

  close(): void {
    this.#statements.clear();
    this.raw.close();
  }
}

export interface OpenOptions {
  readonly?: boolean;
  /** Migrate up to this version only (tests of a single migration); default: all. */
  targetVersion?: number;
}

export function openStore(path: string, options: OpenOptions = {}): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const raw = new Database(path, { readonly: options.readonly ?? false });
  if (path !== ':memory:' && !options.readonly) raw.pragma('journal_mode = WAL');
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('synchronous = NORMAL');
  const store = new Store(raw);
  if (!options.readonly) migrate(store, options.targetVersion);
  return store;
}
