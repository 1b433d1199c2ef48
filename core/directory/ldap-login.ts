// A desk login through the newsroom's directory. The directory decides whenever it can be reached: its answer sets
// the user's roles (from their groups, at every login) and refreshes the offline cache. Only when it cannot be
// reached does the cache speak, for a limited time. A refusal by a reachable directory also drops the cache and
// ends the user's sessions, so that an account disabled or deleted there stops working here at once.
import type { AuditLog } from '../audit/log.ts';
import type { ScryptParams } from '../crypto/vault.ts';
import { CustodyError, isCustodyError } from '../errors.ts';
import type { WritableDB } from '../store/db.ts';
import type { LdapSource } from './ldap-source.ts';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.ts';
import { checkUserName, type Actor } from './roles.ts';
import { dropDirectoryCache, getUser, otherNameOfDn, saveDirectoryLogin } from './users.ts';

export interface DirectoryLoginContext {
  db: WritableDB;
  audit: AuditLog;
  /** scrypt cost of the offline cache's hash. */
  params: ScryptParams;
  source: LdapSource;
}

/** The same answer as the local directory's, whatever was wrong: the name, the password, or the account. */
export const badCredentials = (name: string): CustodyError =>
  new CustodyError('NOT_AUTHENTICATED', `expected the password of a user of this desk, got a user name and password that do not match (${name})`);

function failed(ctx: DirectoryLoginContext, name: string, reason: string, at: string, extra: Record<string, unknown> = {}): void {
  ctx.audit.act(() => ctx.audit.append({ actor: 'anonymous', action: 'auth.login_failed', subject: name, details: { reason, source: 'ldap', ...extra }, at }));
}

/** Drops the offline cache of a user the directory no longer vouches for, with an audit entry saying why. */
function revoke(ctx: DirectoryLoginContext, name: string, why: string, at: string): void {
  const u = getUser(ctx.db, name);
  if (!u || u.source !== 'ldap') return;
  ctx.audit.act(() => {
    dropDirectoryCache(ctx.db, name);
    ctx.audit.append({ actor: 'system', action: 'user.directory_revoked', subject: name, details: { reason: why }, at });
  });
}

const offlineUntil = (loginAt: string, days: number): number => new Date(loginAt).getTime() + days * 86_400_000;

export async function directoryAuthenticate(ctx: DirectoryLoginContext, typed: string, password: string, now: Date): Promise<Actor> {
  const at = now.toISOString();
  // Directories match names without regard to case (sAMAccountName, uid); Custody keeps them in lower case.
  const name = typed.toLowerCase();
  if (password === '') {
    failed(ctx, name, 'empty password', at);
    throw badCredentials(name);
  }
  let valid = true;
  try {
    checkUserName(name);
  } catch {
    valid = false;
  }
  const existing = valid ? getUser(ctx.db, name) : null;
  // A local user's name in another case, or a name Custody could not keep, is refused after the same scrypt work as
  // any refusal (an instant answer told which local names exist), and never sent to the directory: a directory that
  // ignores spaces and look-alikes would take " alice" for alice, each spelling a new key of the desk's throttle, so
  // that anyone could lock alice's directory account with wrong passwords.
  if (existing?.source === 'local' || !valid) {
    await burnPasswordCheck(password, ctx.params);
    failed(ctx, name, valid ? 'name of a local user' : 'not a user name', at);
    throw badCredentials(name);
  }

  let outcome;
  try {
    outcome = await ctx.source.login(name, password);
  } catch (e) {
    if (!isCustodyError(e, 'DIRECTORY_UNREACHABLE')) {
      failed(ctx, name, 'directory error', at, { code: isCustodyError(e) ? e.code : 'INTERNAL' });
      throw e;
    }
    return offline(ctx, name, password, now, e);
  }

  if (outcome.kind === 'refused' || !valid) {
    const reason = outcome.kind === 'refused' ? outcome.reason : 'not a Custody user name';
    if (existing && (reason === 'unknown user' || reason === 'ambiguous user')) revoke(ctx, name, `the directory no longer finds ${name}`, at);
    // The directory refused a password that the cache would accept: the password was changed there, or the account
    // locked or disabled. Either way the cache must not let it in later. Every refusal spends one scrypt (the check,
    // or a dummy one), so that an unknown name does not answer faster than a known one with a wrong password.
    if (existing?.passwordHash && reason === 'wrong password or locked') {
      if (await verifyPassword(password, existing.passwordHash)) revoke(ctx, name, 'the directory refused the password of the last login', at);
    } else {
      await burnPasswordCheck(password, ctx.params);
    }
    failed(ctx, name, reason, at);
    throw badCredentials(name);
  }

  // One directory entry is one person on the desk. The entry may be found under more than one name (a second uid
  // value, an alias, a filter over two attributes); a second desk user for it would let one person approve, under
  // one name, what they submitted under the other. So the entry keeps the desk name it was first known by.
  const holder = otherNameOfDn(ctx.db, outcome.dn, name);
  const who = holder ?? name;
  const known = holder === null ? existing : getUser(ctx.db, holder);
  if (known?.disabledAt) {
    failed(ctx, name, 'disabled', at, holder === null ? {} : { user: holder });
    throw badCredentials(name);
  }
  const { grant } = outcome;
  if (grant.roles.length === 0) {
    revoke(ctx, who, 'no group of the user maps to a Custody role', at);
    failed(ctx, name, 'no role', at, { groups: outcome.groups });
    throw new CustodyError('NOT_PERMITTED', `expected ${name} to be in a directory group that maps to a Custody role, got none of ${outcome.groups.length} groups: ask an admin`);
  }
  const passwordHash = await hashPassword(password, ctx.params);
  ctx.audit.act(() => {
    // Asked again in the transaction that writes the row: two first logins of one entry under two names at once.
    if (otherNameOfDn(ctx.db, outcome.dn, who) !== null) {
      throw new CustodyError('NOT_PERMITTED', `expected one desk user for the directory entry ${outcome.dn}, got a second login of it under another name at the same moment: log in again`);
    }
    saveDirectoryLogin(ctx.db, { name: who, dn: outcome.dn, passwordHash, roles: grant.roles, at });
    ctx.audit.append({
      actor: who,
      action: 'auth.directory_login',
      subject: who,
      details: { dn: outcome.dn, roles: grant.roles, from: grant.from, previousRoles: known?.roles ?? null, offline: false, ...(holder === null ? {} : { typed: name }) },
      at,
    });
  });
  return { name: who, roles: grant.roles };
}

/** The directory cannot be reached: the last successful login, if recent enough, verified against its hash. */
async function offline(ctx: DirectoryLoginContext, name: string, password: string, now: Date, unreachable: CustodyError): Promise<Actor> {
  const at = now.toISOString();
  const u = getUser(ctx.db, name);
  const days = ctx.source.config.offlineDays;
  const usable = u?.source === 'ldap' && u.passwordHash !== '' && u.directoryLoginAt !== null && now.getTime() < offlineUntil(u.directoryLoginAt, days);
  if (!u || !usable) {
    failed(ctx, name, 'directory unreachable', at, { cache: u?.directoryLoginAt ? 'expired or dropped' : 'none' });
    throw new CustodyError('DIRECTORY_UNREACHABLE', `${unreachable.message}; and no directory login of ${name} in the last ${days} days to fall back on`, undefined, { cause: unreachable });
  }
  if (!(await verifyPassword(password, u.passwordHash)) || u.disabledAt || u.roles.length === 0) {
    failed(ctx, name, u.disabledAt ? 'disabled' : 'wrong password (offline)', at);
    throw badCredentials(name);
  }
  ctx.audit.act(() =>
    ctx.audit.append({
      actor: name,
      action: 'auth.directory_login',
      subject: name,
      details: { dn: u.dn, roles: u.roles, offline: true, lastDirectoryLogin: u.directoryLoginAt, offlineUntil: new Date(offlineUntil(u.directoryLoginAt!, days)).toISOString() },
      at,
    }),
  );
  return { name, roles: u.roles };
}
