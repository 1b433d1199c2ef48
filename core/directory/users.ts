// Directory rows: users, their roles, their sessions.
import { sql, type ReadableDB, type WritableDB } from '../store/db.ts';
import { sameDn } from './ldap-escape.ts';
import { ROLES, isRole, type Role } from './roles.ts';

export interface UserInfo {
  name: string;
  roles: Role[];
  createdAt: string;
  createdBy: string;
  disabledAt: string | null;
  /** local: a password kept on this desk; ldap: the newsroom's directory, roles from its groups. */
  source: 'local' | 'ldap';
}

/** The rest of a directory user's row: their DN and the offline cache of their last directory login. */
export interface DirectoryFields {
  dn: string | null;
  directoryLoginAt: string | null;
}

interface UserRow {
  name: string;
  password_hash: string;
  created_at: string;
  created_by: string;
  disabled_at: string | null;
  source: 'local' | 'ldap';
  dn: string | null;
  directory_login_at: string | null;
}

function rolesOf(db: ReadableDB, name: string): Role[] {
  return db
    .all<{ role: string }>(sql`SELECT role FROM user_roles WHERE user_name = ${name}`)
    .map((r) => r.role)
    .filter(isRole)
    .sort((a, b) => ROLES.indexOf(a) - ROLES.indexOf(b));
}

const info = (db: ReadableDB, r: UserRow): UserInfo => ({
  name: r.name,
  roles: rolesOf(db, r.name),
  createdAt: r.created_at,
  createdBy: r.created_by,
  disabledAt: r.disabled_at,
  source: r.source,
});

export function getUser(db: ReadableDB, name: string): (UserInfo & DirectoryFields & { passwordHash: string }) | null {
  const r = db.get<UserRow>(sql`SELECT * FROM users WHERE name = ${name}`);
  return r ? { ...info(db, r), passwordHash: r.password_hash, dn: r.dn, directoryLoginAt: r.directory_login_at } : null;
}

export function listUsers(db: ReadableDB): UserInfo[] {
  return db.all<UserRow>(sql`SELECT * FROM users ORDER BY name`).map((r) => info(db, r));
}

export function countUsers(db: ReadableDB): number {
  return db.get<{ n: number }>(sql`SELECT count(*) AS n FROM users`)?.n ?? 0;
}

export function countActiveWithRole(db: ReadableDB, role: Role): number {
  return db.get<{ n: number }>(sql`SELECT count(*) AS n FROM users u JOIN user_roles r ON r.user_name = u.name
                                    WHERE r.role = ${role} AND u.disabled_at IS NULL`)?.n ?? 0;
}

export function insertUser(db: WritableDB, u: { name: string; passwordHash: string; roles: Role[]; createdAt: string; createdBy: string }): void {
  db.run(sql`INSERT INTO users (name, password_hash, created_at, created_by) VALUES (${u.name}, ${u.passwordHash}, ${u.createdAt}, ${u.createdBy})`);
  for (const role of u.roles) db.run(sql`INSERT INTO user_roles (user_name, role) VALUES (${u.name}, ${role})`);
}

export function replaceRoles(db: WritableDB, name: string, roles: Role[]): void {
  db.run(sql`DELETE FROM user_roles WHERE user_name = ${name}`);
  for (const role of roles) db.run(sql`INSERT INTO user_roles (user_name, role) VALUES (${name}, ${role})`);
}

/**
 * Records a successful directory login: creates the user on first sight, and replaces DN, offline cache and roles
 * (recomputed from the groups at every login) otherwise.
 */
export function saveDirectoryLogin(db: WritableDB, u: { name: string; dn: string; passwordHash: string; roles: Role[]; at: string }): void {
  db.run(sql`INSERT INTO users (name, password_hash, created_at, created_by, source, dn, directory_login_at)
             VALUES (${u.name}, ${u.passwordHash}, ${u.at}, 'directory', 'ldap', ${u.dn}, ${u.at})
             ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, dn = excluded.dn, directory_login_at = excluded.directory_login_at
             WHERE users.source = 'ldap'`);
  replaceRoles(db, u.name, u.roles);
}

/**
 * The desk name of another directory user whose row holds this DN (compared the way directories compare DNs), or
 * null: one directory entry is one person, whatever name it was found by.
 */
export function otherNameOfDn(db: ReadableDB, dn: string, name: string): string | null {
  const rows = db.all<{ name: string; dn: string }>(sql`SELECT name, dn FROM users WHERE source = 'ldap' AND dn IS NOT NULL AND name <> ${name} ORDER BY created_at, name`);
  return rows.find((r) => sameDn(r.dn, dn))?.name ?? null;
}

/** Forgets a directory user's offline cache and ends their sessions: the directory no longer vouches for them. */
export function dropDirectoryCache(db: WritableDB, name: string): void {
  db.run(sql`UPDATE users SET password_hash = '' WHERE name = ${name} AND source = 'ldap'`);
  db.run(sql`DELETE FROM sessions WHERE user_name = ${name}`);
}

/**
 * The directory is gone from the desk: every directory user's offline cache is dropped and their sessions end, so
 * that none of them acts until a directory logs them in again. Returns the names of those who had a cache.
 */
export function dropAllDirectoryCaches(db: WritableDB): string[] {
  const names = db.all<{ name: string }>(sql`SELECT name FROM users WHERE source = 'ldap' AND password_hash <> '' ORDER BY name`).map((r) => r.name);
  db.run(sql`DELETE FROM sessions WHERE user_name IN (SELECT name FROM users WHERE source = 'ldap')`);
  db.run(sql`UPDATE users SET password_hash = '' WHERE source = 'ldap'`);
  return names;
}

export function markDisabled(db: WritableDB, name: string, at: string): void {
  db.run(sql`UPDATE users SET disabled_at = ${at} WHERE name = ${name}`);
  db.run(sql`DELETE FROM sessions WHERE user_name = ${name}`);
}

export function insertSession(db: WritableDB, s: { tokenSha256: string; userName: string; createdAt: string; expiresAt: string }): void {
  db.run(sql`INSERT INTO sessions (token_sha256, user_name, created_at, expires_at) VALUES (${s.tokenSha256}, ${s.userName}, ${s.createdAt}, ${s.expiresAt})`);
}

export function getSession(db: ReadableDB, tokenSha256: string): { userName: string; createdAt: string; expiresAt: string } | null {
  const r = db.get<{ user_name: string; created_at: string; expires_at: string }>(sql`SELECT user_name, created_at, expires_at FROM sessions WHERE token_sha256 = ${tokenSha256}`);
  return r ? { userName: r.user_name, createdAt: r.created_at, expiresAt: r.expires_at } : null;
}

export function deleteSession(db: WritableDB, tokenSha256: string): number {
  return db.run(sql`DELETE FROM sessions WHERE token_sha256 = ${tokenSha256}`).changes;
}

export function deleteExpiredSessions(db: WritableDB, now: string): number {
  return db.run(sql`DELETE FROM sessions WHERE expires_at <= ${now}`).changes;
}
