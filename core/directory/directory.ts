// The local user directory: users and roles, password checks, expiring sessions. Every change and every failed
// login is an audit entry written in the same transaction as the change.
import { authorizeActor } from '../authz/policy.ts';
import { createHash, randomBytes } from 'node:crypto';
import type { AuditLog } from '../audit/log.ts';
import { requireStrongSecret } from '../crypto/strength.ts';
import type { ScryptParams } from '../crypto/vault.ts';
import { CustodyError, isCustodyError } from '../errors.ts';
import type { WritableDB } from '../store/db.ts';
import { directoryAuthenticate } from './ldap-login.ts';
import type { LdapSource } from './ldap-source.ts';
import { DEFAULT_PASSWORD_SCRYPT, burnPasswordCheck, hashPassword, verifyPassword } from './passwords.ts';
import { checkUserName, parseRoles, type Actor, type Role } from './roles.ts';
import { AttemptThrottle, type ThrottlePolicy } from './throttle.ts';
import {
  countActiveWithRole,
  countUsers,
  deleteExpiredSessions,
  deleteSession,
  getSession,
  getUser,
  insertSession,
  insertUser,
  listUsers,
  markDisabled,
  replaceRoles,
  type UserInfo,
} from './users.ts';

export const DEFAULT_SESSION_HOURS = 8;
export const MAX_SESSION_HOURS = 24 * 7;

export interface NewUser {
  name: string;
  roles: Role[];
  passwordHash: string;
}

export interface Session {
  actor: Actor;
  createdAt: string;
  expiresAt: string;
}

/** The checks on a new user that need no database: name, roles, a password hard to guess (WEAK_PASSWORD). */
export function checkNewUser(input: { name: string; roles: readonly string[] | string; password: string }): { name: string; roles: Role[] } {
  const name = checkUserName(input.name);
  const roles = parseRoles(input.roles);
  requireStrongSecret(input.password, 'password', [name]);
  return { name, roles };
}

const tokenDigest = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');


export class Directory {
  readonly #db: WritableDB;
  readonly #audit: AuditLog;
  readonly #params: ScryptParams;
  readonly #ldap: () => LdapSource | null;
  readonly #throttle: AttemptThrottle;

  /**
   * passwordParams: scrypt cost for new hashes (tests lower it; existing hashes keep their own). ldap: the
   * newsroom's directory when one is configured (core/directory/ldap-settings.ts), asked for every name that is not
   * a local user. throttle: the guessing limits (tests shorten the waits).
   */
  constructor(db: WritableDB, audit: AuditLog, opts: { passwordParams?: ScryptParams; ldap?: () => LdapSource | null; throttle?: ThrottlePolicy } = {}) {
    this.#db = db;
    this.#audit = audit;
    this.#params = opts.passwordParams ?? DEFAULT_PASSWORD_SCRYPT;
    this.#ldap = opts.ldap ?? (() => null);
    this.#throttle = new AttemptThrottle(db, opts.throttle);
  }

  hasUsers(): boolean {
    return countUsers(this.#db) > 0;
  }

  list(): UserInfo[] {
    return listUsers(this.#db);
  }

  get(name: string): UserInfo | null {
    const u = getUser(this.#db, name);
    if (!u) return null;
    const { passwordHash: _, ...rest } = u;
    return rest;
  }

  /**
   * A user to act for while they are away (a watched folder acts as whoever configured it), with their roles now;
   * NOT_PERMITTED for a name that is no user, a disabled account, or a directory user the directory stopped
   * vouching for (its cache dropped: deleted or locked there, or no group mapping to a role any more), whose
   * stored roles are those of a login the directory has since refused.
   */
  actingUser(name: string): Actor {
    const u = getUser(this.#db, name);
    const why = !u ? 'not in the directory' : u.disabledAt ? 'disabled' : u.source === 'ldap' && u.passwordHash === '' ? 'no longer vouched for by the newsroom\'s directory (see user.directory_revoked in the audit log)' : null;
    if (!u || why !== null) throw new CustodyError('NOT_PERMITTED', `expected an active user to act for, got ${name}, who is ${why}`);
    return { name: u.name, roles: u.roles };
  }

  /** Checks a new user and hashes the password (slow, async), ready for insertUser inside a transaction. */
  async prepareUser(input: { name: string; roles: readonly string[] | string; password: string }): Promise<NewUser> {
    const { name, roles } = checkNewUser(input);
    return { name, roles, passwordHash: await hashPassword(input.password, this.#params) };
  }

  /** Inserts a prepared user and its audit entry; call inside the act's transaction. */
  insertUser(by: Actor, u: NewUser, at: string): UserInfo {
    authorizeActor('userAdd', by);
    return this.#db.transaction(() => {
      if (getUser(this.#db, u.name)) throw new CustodyError('INVALID_ARGUMENT', `expected a new user name, got ${u.name}, which exists already`);
      // Otherwise no one could ever manage users on this desk.
      if (!this.hasUsers() && !u.roles.includes('admin')) {
        throw new CustodyError('NOT_PERMITTED', `expected the first user of a desk to be an admin, got ${u.name} with roles ${u.roles.join(', ')}`);
      }
      insertUser(this.#db, { ...u, createdAt: at, createdBy: by.name });
      this.#audit.append({ actor: by.name, action: 'user.created', subject: u.name, details: { roles: u.roles }, at });
      return { name: u.name, roles: u.roles, createdAt: at, createdBy: by.name, disabledAt: null, source: 'local' };
    });
  }

  async addUser(by: Actor, input: { name: string; roles: readonly string[] | string; password: string }, now = new Date()): Promise<UserInfo> {
    authorizeActor('userAdd', by);
    const prepared = await this.prepareUser(input);
    return this.#audit.act(() => this.insertUser(by, prepared, now.toISOString()));
  }

  #requireUser(name: string): UserInfo {
    const u = this.get(name);
    if (!u) throw new CustodyError('NOT_FOUND', `expected an existing user, got ${JSON.stringify(name)}, who is not in the directory`);
    return u;
  }

  /** Refuses a change that would leave the desk without an active admin: no one could manage users again. */
  #keepAnAdmin(u: UserInfo, losesAdmin: boolean): void {
    if (losesAdmin && u.roles.includes('admin') && u.disabledAt === null && countActiveWithRole(this.#db, 'admin') <= 1) {
      throw new CustodyError('NOT_PERMITTED', `expected another active admin to remain, got ${u.name} as the last one`);
    }
  }

  setRoles(by: Actor, name: string, roles: readonly string[] | string, now = new Date()): UserInfo {
    authorizeActor('userSetRoles', by);
    const next = parseRoles(roles);
    return this.#audit.act(() => {
      const u = this.#requireUser(name);
      if (u.source === 'ldap') {
        throw new CustodyError('INVALID_ARGUMENT', `expected a local user, got ${name}, whose roles come from their directory groups at every login (change the group mapping instead)`);
      }
      this.#keepAnAdmin(u, !next.includes('admin'));
      replaceRoles(this.#db, name, next);
      this.#audit.append({ actor: by.name, action: 'user.roles_changed', subject: name, details: { from: u.roles, to: next }, at: now.toISOString() });
      return { ...u, roles: next };
    });
  }

  disable(by: Actor, name: string, now = new Date()): UserInfo {
    authorizeActor('userDisable', by);
    const at = now.toISOString();
    return this.#audit.act(() => {
      const u = this.#requireUser(name);
      if (u.disabledAt) throw new CustodyError('INVALID_ARGUMENT', `expected an active user, got ${name}, disabled since ${u.disabledAt}`);
      this.#keepAnAdmin(u, true);
      markDisabled(this.#db, name, at);
      this.#audit.append({ actor: by.name, action: 'user.disabled', subject: name, details: {}, at });
      return { ...u, disabledAt: at };
    });
  }

  /**
   * Checks a password: the one way into the desk for a user, whatever asks (CLI, web mode, the app). Attempts are
   * throttled per user name (core/directory/throttle.ts) and every failure is an audit entry, committed before the
   * error is thrown. An unknown name, a wrong password and a disabled account answer alike: the same error, the
   * same sentence, and the same scrypt work first, so that none of them can be told from the others.
   */
  async authenticate(name: string, password: string, now = new Date()): Promise<Actor> {
    // Directories match names without regard to case, and local names are lower case: one key for every spelling.
    const key = `login:${name.slice(0, 200).toLowerCase()}`;
    const failed = (reason: string) =>
      this.#audit.act(() => this.#audit.append({ actor: 'anonymous', action: 'auth.login_failed', subject: name, details: { reason }, at: now.toISOString() }));
    try {
      this.#throttle.begin(key, `the login of ${name}`, now);
    } catch (e) {
      failed('rate_limited');
      throw e;
    }
    const u = getUser(this.#db, name);
    const ldap = u?.source === 'local' ? null : this.#ldap();
    if (ldap) {
      // The directory path audits its own failures; the throttle counts them here like any other.
      try {
        const actor = await directoryAuthenticate({ db: this.#db, audit: this.#audit, params: this.#params, source: ldap }, name, password, now);
        this.#throttle.succeeded(key);
        return actor;
      } catch (e) {
        // A directory that could not be asked checked nothing: that attempt is not a guess.
        if (!isCustodyError(e, 'NOT_AUTHENTICATED')) this.#throttle.uncount(key);
        throw e;
      }
    }
    let reason: 'unknown user' | 'wrong password' | 'disabled' | null = null;
    // A directory user's hash is their offline cache, which only ldap-login.ts may use (the directory is gone).
    if (!u || u.source !== 'local') {
      await burnPasswordCheck(password, this.#params);
      reason = 'unknown user';
    } else if (!(await verifyPassword(password, u.passwordHash))) {
      reason = 'wrong password';
    } else if (u.disabledAt) {
      reason = 'disabled';
    }
    if (reason !== null || !u) {
      failed(reason ?? 'unknown user');
      throw new CustodyError('NOT_AUTHENTICATED', `expected the password of a user of this desk, got a user name and password that do not match (${name})`);
    }
    this.#throttle.succeeded(key);
    return { name: u.name, roles: u.roles };
  }

  /** Opens a session; the token is returned once and only its SHA-256 is kept. */
  async login(name: string, password: string, opts: { now?: Date; hours?: number } = {}): Promise<Session & { token: string }> {
    const now = opts.now ?? new Date();
    const hours = opts.hours ?? DEFAULT_SESSION_HOURS;
    if (!(hours > 0 && hours <= MAX_SESSION_HOURS)) {
      throw new CustodyError('INVALID_ARGUMENT', `expected a session length between 0 and ${MAX_SESSION_HOURS} hours, got ${hours}`);
    }
    const actor = await this.authenticate(name, password, now);
    const token = randomBytes(32).toString('base64url');
    const createdAt = now.toISOString();
    const expiresAt = new Date(now.getTime() + hours * 3_600_000).toISOString();
    this.#audit.act(() => {
      deleteExpiredSessions(this.#db, createdAt);
      insertSession(this.#db, { tokenSha256: tokenDigest(token), userName: actor.name, createdAt, expiresAt });
      this.#audit.append({ actor: actor.name, action: 'auth.login', subject: actor.name, details: { expiresAt }, at: createdAt });
    });
    return { token, actor, createdAt, expiresAt };
  }

  /** The user behind a session token; NOT_AUTHENTICATED when it is unknown, ended, expired or its user disabled. */
  session(token: string, now = new Date()): Session {
    const s = getSession(this.#db, tokenDigest(token));
    if (!s) throw new CustodyError('NOT_AUTHENTICATED', 'expected a current session, got one that has ended: run `custody login NAME`');
    if (s.expiresAt <= now.toISOString()) {
      throw new CustodyError('NOT_AUTHENTICATED', `expected a current session, got one that expired at ${s.expiresAt}: run \`custody login ${s.userName}\``);
    }
    const u = getUser(this.#db, s.userName);
    if (!u || u.disabledAt) throw new CustodyError('NOT_AUTHENTICATED', `expected an active user, got ${s.userName}, who was disabled`);
    return { actor: { name: u.name, roles: u.roles }, createdAt: s.createdAt, expiresAt: s.expiresAt };
  }

  /** Ends a session; returns whether there was one. */
  logout(token: string, now = new Date()): boolean {
    const s = getSession(this.#db, tokenDigest(token));
    if (!s) return false;
    return this.#audit.act(() => {
      deleteSession(this.#db, tokenDigest(token));
      this.#audit.append({ actor: s.userName, action: 'auth.logout', subject: s.userName, details: {}, at: now.toISOString() });
      return true;
    });
  }
}
