// What an admin configures to sign people in with the newsroom's directory (Active Directory or OpenLDAP), and the
// mapping from directory groups to Custody roles. The service account's password is not part of it: it is kept in
// the key vault (ldap-settings.ts).
import { z } from 'zod';
import { CustodyError } from '../errors.ts';
import { checkFilterTemplate, normalizeDn, sameDn } from './ldap-escape.ts';
import { ROLES, type Role } from './roles.ts';

export const DEFAULT_OFFLINE_DAYS = 7;
export const DEFAULT_LDAP_TIMEOUT_MS = 5000;

/** Active Directory's LDAP_MATCHING_RULE_IN_CHAIN: the server walks nested group membership itself. */
export const MATCHING_RULE_IN_CHAIN = '1.2.840.113556.1.4.1941';

const dn = (what: string) =>
  z.string().min(1, `expected ${what}, got an empty one`).max(1024).superRefine((v, ctx) => {
    try {
      normalizeDn(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
    }
  });

const filter = (what: string, allowed: string[], required: string[]) =>
  z.string().min(1).max(2048).superRefine((v, ctx) => {
    try {
      checkFilterTemplate(v, allowed, required, what);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
    }
  });

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

export const groupLookupSchema = z.discriminatedUnion('mode', [
  /** The user entry's memberOf (AD, OpenLDAP's memberof overlay); nested: also the groups those groups are in. */
  z.object({ mode: z.literal('memberOf'), nested: z.boolean().default(true) }),
  /** AD: one search for every group the user is in, nested ones included, with LDAP_MATCHING_RULE_IN_CHAIN. */
  z.object({ mode: z.literal('inChain'), base: dn('the base DN to search groups under') }),
  /** POSIX and other groups that list their members: a search under base; {user} is the login name, {dn} the user's DN. */
  z.object({
    mode: z.literal('search'),
    base: dn('the base DN to search groups under'),
    filter: filter('the group filter', ['user', 'dn'], []),
  }),
]);

export const roleRuleSchema = z.object({
  /** A group DN, or `*` for every user the directory lets in. */
  group: z.union([z.literal('*'), dn('a group DN or *')]),
  roles: z.array(z.enum(ROLES)).min(1, 'expected at least one role for the group'),
});

export const ldapConfigSchema = z.object({
  /** ldaps://host:636, or ldap://host:389 which is always upgraded with StartTLS: passwords never cross in clear. */
  url: z
    .string()
    .max(512)
    .regex(/^ldaps?:\/\/[^\s/?#]+\/?$/i, 'expected a server URL like ldaps://dc1.example.org:636 or ldap://ldap.example.org (StartTLS)'),
  /** The CA certificate(s) to trust for the server, PEM; when given, only these (pinned), else the system's roots. */
  caPem: z.string().max(1 << 20).regex(PEM_CERT, 'expected PEM certificates (-----BEGIN CERTIFICATE-----)').nullable().default(null),
  bindDn: dn('the service account DN'),
  userBase: dn('the base DN to search users under'),
  /** (&(objectClass=user)(sAMAccountName={user})) for AD, (uid={user}) for OpenLDAP. */
  userFilter: filter('the user filter', ['user'], ['user']),
  groups: groupLookupSchema,
  /** Evaluated in order; a user gets the roles of every rule whose group they are in (`*`: everyone). */
  roles: z.array(roleRuleSchema).min(1, 'expected at least one group-to-role rule'),
  /** How long the last successful directory login stays usable while the directory cannot be reached; 0: never. */
  offlineDays: z.number().min(0).max(90).default(DEFAULT_OFFLINE_DAYS),
  timeoutMs: z.number().int().min(200).max(60_000).default(DEFAULT_LDAP_TIMEOUT_MS),
});

export type LdapConfig = z.output<typeof ldapConfigSchema>;
export type LdapConfigInput = z.input<typeof ldapConfigSchema>;
export type RoleRule = z.output<typeof roleRuleSchema>;

/** Parses an admin's configuration; INVALID_ARGUMENT names the first few fields that are wrong. */
export function parseLdapConfig(input: unknown): LdapConfig {
  const r = ldapConfigSchema.safeParse(input);
  if (!r.success) {
    const said = r.error.issues.slice(0, 3).map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`);
    throw new CustodyError('INVALID_ARGUMENT', `expected a directory configuration, got one with problems: ${said.join('; ')}`);
  }
  return r.data;
}

export interface RoleGrant {
  roles: Role[];
  /** The rules that matched, in configured order: which group gave which roles. */
  from: { group: string; roles: Role[] }[];
}

/** The roles a user's groups map to. Recomputed at every login, so leaving a group takes its roles away. */
export function mapRoles(rules: readonly RoleRule[], groups: readonly string[]): RoleGrant {
  const from = rules.filter((r) => r.group === '*' || groups.some((g) => sameDn(g, r.group))).map((r) => ({ group: r.group, roles: [...r.roles] }));
  const roles = ROLES.filter((role) => from.some((f) => f.roles.includes(role)));
  return { roles, from };
}
