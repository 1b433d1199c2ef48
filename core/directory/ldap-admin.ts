// An admin's view of the directory login: read, set, remove and test the configuration. Every change is audited
// (without the service password, and with the pinned CA by fingerprint only).
import { createHash } from 'node:crypto';
import { authorizeActor } from '../authz/policy.ts';
import type { AuditLog } from '../audit/log.ts';
import type { Keyring } from '../crypto/keyring.ts';
import { CustodyError } from '../errors.ts';
import type { WritableDB } from '../store/db.ts';
import { parseLdapConfig, type LdapConfig } from './ldap-config.ts';
import { getLdapConfig, hasBindPassword, ldapSource, putLdapConfig, removeLdapConfig } from './ldap-settings.ts';
import type { LdapLogin } from './ldap-source.ts';
import type { Actor } from './roles.ts';
import { dropAllDirectoryCaches } from './users.ts';

export interface DirectoryStatus {
  config: LdapConfig | null;
  /** The vault holds the service account's password. */
  bindPasswordSet: boolean;
}

/** What the audit log keeps of a configuration: everything but the CA's text, which is replaced by its SHA-256. */
const audited = (c: LdapConfig) => ({ ...c, caPem: c.caPem ? `sha256:${createHash('sha256').update(c.caPem).digest('hex')}` : null });

export class LdapAdmin {
  readonly #db: WritableDB;
  readonly #audit: AuditLog;
  readonly #keyring: () => Keyring;

  constructor(db: WritableDB, audit: AuditLog, keyring: () => Keyring) {
    this.#db = db;
    this.#audit = audit;
    this.#keyring = keyring;
  }

  /** Whether directory logins are on (no admin needed: the login screen says which password to type). */
  get configured(): boolean {
    return getLdapConfig(this.#db) !== null;
  }

  status(by: Actor): DirectoryStatus {
    authorizeActor('directory', by);
    return { config: getLdapConfig(this.#db), bindPasswordSet: hasBindPassword(this.#db) };
  }

  /** Stores a configuration (checked first); bindPassword replaces the vault's when given. Needs the unlocked vault. */
  set(by: Actor, input: unknown, bindPassword?: string, now = new Date()): DirectoryStatus {
    authorizeActor('directorySet', by);
    const config = parseLdapConfig(input);
    const keyring = this.#keyring();
    const at = now.toISOString();
    this.#audit.act(() => {
      putLdapConfig(this.#db, keyring, config, bindPassword, at);
      this.#audit.append({ actor: by.name, action: 'settings.directory_set', subject: 'directory.ldap', details: { config: audited(config), bindPasswordChanged: bindPassword !== undefined }, at });
    });
    return { config, bindPasswordSet: true };
  }

  remove(by: Actor, now = new Date()): boolean {
    authorizeActor('directoryRemove', by);
    if (!this.configured) return false;
    this.#audit.act(() => {
      removeLdapConfig(this.#db);
      // Its users can no longer log in: the logins they hold end too, and the desk stops acting for them.
      const ended = dropAllDirectoryCaches(this.#db);
      this.#audit.append({ actor: by.name, action: 'settings.directory_removed', subject: 'directory.ldap', details: { usersEnded: ended }, at: now.toISOString() });
    });
    return true;
  }

  /**
   * Connects with the service account, and with a name and password also tries that login, without recording
   * anything: the admin sees the groups the directory returns and the roles they map to.
   */
  async test(by: Actor, login?: { user: string; password: string }): Promise<{ ok: true; outcome: LdapLogin | null }> {
    authorizeActor('directoryTest', by);
    const source = ldapSource(this.#db, this.#keyring());
    if (!source) throw new CustodyError('NOT_FOUND', 'expected a directory configuration to test, but none is set: run `custody directory set FILE`');
    if (!login) {
      await source.check();
      return { ok: true, outcome: null };
    }
    return { ok: true, outcome: await source.login(login.user, login.password) };
  }
}
