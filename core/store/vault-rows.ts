import type { Sealed, WrappedKey } from '../crypto/vault.ts';
import { sql, type ReadableDB, type WritableDB } from './db.ts';

export function getWrappedKey(db: ReadableDB, kind: string): WrappedKey | null {
  const row = db.get<{ kind: string; params: string; blob: Uint8Array }>(sql`SELECT kind, params, blob FROM vault_keys WHERE kind = ${kind}`);
  return row ? { kind: row.kind, params: JSON.parse(row.params) as Record<string, unknown>, blob: row.blob } : null;
}

export function listWrappedKinds(db: ReadableDB): string[] {
  return db.all<{ kind: string }>(sql`SELECT kind FROM vault_keys ORDER BY created_at`).map((r) => r.kind);
}

export function putWrappedKey(db: WritableDB, w: WrappedKey, now: string): void {
  db.run(sql`INSERT INTO vault_keys (kind, params, blob, created_at) VALUES (${w.kind}, ${JSON.stringify(w.params)}, ${w.blob}, ${now})
             ON CONFLICT (kind) DO UPDATE SET params = excluded.params, blob = excluded.blob`);
}

export function getSealedSecret(db: ReadableDB, name: string): Sealed | null {
  return db.get<Sealed>(sql`SELECT nonce, ciphertext FROM vault_secrets WHERE name = ${name}`) ?? null;
}

export function putSealedSecret(db: WritableDB, name: string, s: Sealed, now: string): void {
  db.run(sql`INSERT INTO vault_secrets (name, nonce, ciphertext, created_at) VALUES (${name}, ${s.nonce}, ${s.ciphertext}, ${now})`);
}

/** Replaces a secret that an admin may change (the directory's service password); keys are only ever inserted. */
export function replaceSealedSecret(db: WritableDB, name: string, s: Sealed, now: string): void {
  db.run(sql`INSERT INTO vault_secrets (name, nonce, ciphertext, created_at) VALUES (${name}, ${s.nonce}, ${s.ciphertext}, ${now})
             ON CONFLICT (name) DO UPDATE SET nonce = excluded.nonce, ciphertext = excluded.ciphertext, created_at = excluded.created_at`);
}

export function hasSealedSecret(db: ReadableDB, name: string): boolean {
  return db.get<{ n: number }>(sql`SELECT count(*) AS n FROM vault_secrets WHERE name = ${name}`)?.n === 1;
}

export function deleteSealedSecret(db: WritableDB, name: string): void {
  db.run(sql`DELETE FROM vault_secrets WHERE name = ${name}`);
}
