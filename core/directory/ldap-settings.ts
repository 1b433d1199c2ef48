// Where the directory configuration lives on a desk: the settings table (JSON, no secret in it) and, for the service
// account's password, the key vault, sealed under the vault's data key like the signing keys.
import type { Keyring } from '../crypto/keyring.ts';
import { CustodyError } from '../errors.ts';
import { sql, type ReadableDB, type WritableDB } from '../store/db.ts';
import { getSetting, setSetting } from '../store/settings.ts';
import { hasSealedSecret } from '../store/vault-rows.ts';
import { parseLdapConfig, type LdapConfig } from './ldap-config.ts';
import { LdapSource } from './ldap-source.ts';

const CONFIG_KEY = 'directory.ldap';
export const BIND_PASSWORD_SECRET = 'directory:ldap-bind-password';

/** The configured directory, or null when the desk has local users only. */
export function getLdapConfig(db: ReadableDB): LdapConfig | null {
  const raw = getSetting(db, CONFIG_KEY);
  return raw ? parseLdapConfig(JSON.parse(raw)) : null;
}

export function hasBindPassword(db: ReadableDB): boolean {
  return hasSealedSecret(db, BIND_PASSWORD_SECRET);
}

/** Stores a configuration; the service password is replaced when given, and must exist already when not. */
export function putLdapConfig(db: WritableDB, keyring: Keyring, config: LdapConfig, bindPassword: string | undefined, at: string): void {
  if (bindPassword === undefined && !hasBindPassword(db)) {
    throw new CustodyError('INVALID_ARGUMENT', `expected the password of the service account ${config.bindDn}, got none (the vault holds none yet)`);
  }
  if (bindPassword === '') throw new CustodyError('INVALID_ARGUMENT', 'expected the service account password, got an empty one (an empty password is an unauthenticated bind)');
  // The stored password goes only to the server it was given for: a new address, CA or account must come with it
  // again, or an admin could point the desk at a server of theirs and have the password sent there (LDAP passback).
  const before = bindPassword === undefined ? getLdapConfig(db) : null;
  if (before && (before.url !== config.url || before.caPem !== config.caPem || before.bindDn !== config.bindDn)) {
    throw new CustodyError('INVALID_ARGUMENT', 'expected the service account password again with a new server address, CA certificate or service account: the stored one is sent only to the server it was given for');
  }
  setSetting(db, CONFIG_KEY, JSON.stringify(config));
  if (bindPassword !== undefined) keyring.replaceSecret(BIND_PASSWORD_SECRET, Buffer.from(bindPassword, 'utf8'), at);
}

/** Turns directory logins off; directory users keep their rows (and audit history) but can no longer log in. */
export function removeLdapConfig(db: WritableDB): void {
  db.run(sql`DELETE FROM settings WHERE key = ${CONFIG_KEY}`);
  db.run(sql`DELETE FROM vault_secrets WHERE name = ${BIND_PASSWORD_SECRET}`);
}

/** The configured source, with its service password unsealed from the vault (which must be unlocked). */
export function ldapSource(db: ReadableDB, keyring: Keyring | null): LdapSource | null {
  const config = getLdapConfig(db);
  if (!config) return null;
  if (!keyring) throw new CustodyError('KEY_LOCKED', 'expected the desk keys unlocked to ask the directory (its service password is in the vault), but they are locked');
  return new LdapSource(config, Buffer.from(keyring.getSecret(BIND_PASSWORD_SECRET)).toString('utf8'));
}
