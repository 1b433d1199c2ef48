// Built-in roles (issue 6) and who is acting. LDAP/AD group mapping will map onto these same names.
import { CustodyError } from '../errors.ts';

export const ROLES = ['admin', 'editor', 'chief', 'legal', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (s: string): s is Role => (ROLES as readonly string[]).includes(s);

/** Someone acting on the desk: a directory user with the roles they held when they acted. */
export interface Actor {
  name: string;
  roles: Role[];
}

/** Names that appear as actors in the audit log without being users. */
export const RESERVED_ACTOR_NAMES = ['desk', 'anonymous', 'system'] as const;

/** `editor,chief` → ['editor', 'chief'], refusing unknown and repeated roles. */
export function parseRoles(list: string | readonly string[]): Role[] {
  const parts = (typeof list === 'string' ? list.split(',') : [...list]).map((r) => r.trim()).filter((r) => r !== '');
  if (parts.length === 0) throw new CustodyError('INVALID_ARGUMENT', `expected at least one role of ${ROLES.join(', ')}, got none`);
  const out: Role[] = [];
  for (const r of parts) {
    if (!isRole(r)) throw new CustodyError('INVALID_ARGUMENT', `expected roles from ${ROLES.join(', ')}, got "${r}"`);
    if (!out.includes(r)) out.push(r);
  }
  return out.sort((a, b) => ROLES.indexOf(a) - ROLES.indexOf(b));
}

const USER_NAME = /^[a-z][a-z0-9._-]{0,63}$/;

export function checkUserName(name: string): string {
  if (!USER_NAME.test(name)) {
    throw new CustodyError('INVALID_ARGUMENT', `expected a user name of 1–64 lowercase letters, digits, ".", "_" or "-" starting with a letter, got ${JSON.stringify(name)}`);
  }
  if ((RESERVED_ACTOR_NAMES as readonly string[]).includes(name)) {
    throw new CustodyError('INVALID_ARGUMENT', `expected a user name other than ${RESERVED_ACTOR_NAMES.join(', ')} (the audit log uses those), got ${name}`);
  }
  return name;
}
