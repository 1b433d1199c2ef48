import { sql, type ReadableDB, type WritableDB } from './db.ts';

export function getSetting(db: ReadableDB, key: string): string | null {
  return db.get<{ value: string }>(sql`SELECT value FROM settings WHERE key = ${key}`)?.value ?? null;
}

export function setSetting(db: WritableDB, key: string, value: string): void {
  db.run(sql`INSERT INTO settings (key, value) VALUES (${key}, ${value}) ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
}
