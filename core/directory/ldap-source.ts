// Asks an LDAP directory (Active Directory, OpenLDAP) whether a name and password belong to one of its people, and
// which groups they are in. Nothing here touches the desk's database: the desk (ldap-login.ts) and the hub both use
// this same source. One connection per question: TLS first (ldaps://, or StartTLS on ldap://, checked against the
// pinned CA), then the service account searches for the user and their groups, then the user's own password is
// tried with a bind as their DN.
import { ldapts, type Ldapts } from './ldapts.ts';
import { CustodyError } from '../errors.ts';
import { MATCHING_RULE_IN_CHAIN, mapRoles, type LdapConfig, type RoleGrant } from './ldap-config.ts';
import { fillFilter, normalizeDn } from './ldap-escape.ts';

/** How far nested memberOf is followed, and how many groups at most: a loop or a huge tree cannot stall a login. */
const MAX_NESTING = 16;
const MAX_GROUPS = 1000;

/** The directory was reached and said no; why is for the audit log, never for the person logging in. */
export type LdapRefusal = { kind: 'refused'; reason: 'empty password' | 'unknown user' | 'ambiguous user' | 'wrong password or locked' };
export type LdapOutcome = { kind: 'ok'; dn: string; groups: string[] } | LdapRefusal;
/** A login with the Custody roles its groups map to (grant.roles may be empty: no mapped group). */
export type LdapLogin = { kind: 'ok'; dn: string; groups: string[]; grant: RoleGrant } | LdapRefusal;

// Node's TLS failures (certificate checks, handshake alerts) as opposed to a server that is not there.
const TLS_FAILURE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_|ALTNAME|HANDSHAKE|EPROTO/i;

function errorCode(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : '';
}

/** A failure to talk to the directory at all, as the admin's code: TLS, or unreachable. */
function transportError(cfg: LdapConfig, e: unknown): CustodyError {
  const msg = e instanceof Error ? e.message : String(e);
  if (TLS_FAILURE.test(errorCode(e)) || TLS_FAILURE.test(msg)) {
    return new CustodyError(
      'DIRECTORY_TLS',
      `expected the directory at ${cfg.url} to present a certificate for its name signed by ${cfg.caPem ? 'the pinned CA' : 'a trusted CA'}, got a TLS failure: ${errorCode(e) || msg}`,
      undefined,
      { cause: e },
    );
  }
  return new CustodyError('DIRECTORY_UNREACHABLE', `expected the directory at ${cfg.url} to answer within ${cfg.timeoutMs} ms, got ${errorCode(e) || msg}`, undefined, { cause: e });
}

/** AD: every group the DN is a member of, directly or through nested groups, in one search. */
export const inChainFilter = (dn: string): string => `(member:${MATCHING_RULE_IN_CHAIN}:=${fillFilter('{dn}', { dn })})`;

const first = (v: Ldapts.Entry[string] | undefined): string[] => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x))));

export class LdapSource {
  readonly config: LdapConfig;
  readonly #bindPassword: string;

  constructor(config: LdapConfig, bindPassword: string) {
    this.config = config;
    this.#bindPassword = bindPassword;
  }

  /** Connects, secures and binds as the service account, runs fn, and always closes the connection. */
  async #withService<T>(fn: (c: Ldapts.Client) => Promise<T>): Promise<T> {
    const cfg = this.config;
    const host = new URL(cfg.url).hostname;
    const tlsOptions = { ...(cfg.caPem ? { ca: [cfg.caPem] } : {}), servername: /^[\d.]+$|:/.test(host) ? undefined : host, minVersion: 'TLSv1.2' as const };
    const startTls = cfg.url.toLowerCase().startsWith('ldap://');
    // ldapts speaks TLS from the first byte whenever tlsOptions are given, so ldap:// gets them only at StartTLS.
    const client = new ldapts.Client({ url: cfg.url, timeout: cfg.timeoutMs, connectTimeout: cfg.timeoutMs, strictDN: false, ...(startTls ? {} : { tlsOptions }) });
    try {
      try {
        if (startTls) await client.startTLS({ ...tlsOptions });
      } catch (e) {
        // A server that answers StartTLS with an LDAP error will not do TLS: that is the admin's TLS problem too.
        if (e instanceof ldapts.ResultCodeError) throw new CustodyError('DIRECTORY_TLS', `expected the directory at ${cfg.url} to accept StartTLS, got ${e.message}`, undefined, { cause: e });
        throw transportError(cfg, e);
      }
      try {
        await client.bind(cfg.bindDn, this.#bindPassword);
      } catch (e) {
        if (!(e instanceof ldapts.ResultCodeError)) throw transportError(cfg, e);
        throw new CustodyError('DIRECTORY_SERVICE_BIND', `expected the service account ${cfg.bindDn} and its password to be accepted by ${cfg.url}, got ${e.message.trim()}`, undefined, { cause: e });
      }
      return await fn(client);
    } catch (e) {
      if (e instanceof CustodyError) throw e;
      if (e instanceof ldapts.ResultCodeError) throw new CustodyError('DIRECTORY_SEARCH_FAILED', `expected ${cfg.url} to answer the search, got ${e.message.trim()}`, undefined, { cause: e });
      throw transportError(cfg, e);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  /** Checks the connection, the TLS pin and the service account (for the admin's `custody directory test`). */
  async check(): Promise<void> {
    await this.#withService(async () => undefined);
  }

  /**
   * Whether `user` with `password` is a person of the directory, and their groups (DNs as the directory spells
   * them). Throws DIRECTORY_UNREACHABLE, DIRECTORY_TLS, DIRECTORY_SERVICE_BIND or DIRECTORY_SEARCH_FAILED when the
   * directory could not give an answer.
   */
  async authenticate(user: string, password: string): Promise<LdapOutcome> {
    // An LDAP simple bind with a DN and an empty password is an "unauthenticated bind" (RFC 4513 §5.1.2) that many
    // servers accept: it must never count as a login, so it is refused before anything is sent.
    if (password === '') return { kind: 'refused', reason: 'empty password' };
    if (user === '') return { kind: 'refused', reason: 'unknown user' };
    return this.#withService(async (client) => {
      const { searchEntries } = await client.search(this.config.userBase, {
        scope: 'sub',
        filter: fillFilter(this.config.userFilter, { user }),
        attributes: ['dn', 'memberOf'],
        sizeLimit: 2,
      }).catch((e: unknown) => {
        // Two or more entries: the filter does not single a person out; refuse rather than pick one.
        if (e instanceof ldapts.ResultCodeError && e.code === 4) return { searchEntries: [{ dn: '' }, { dn: '' }] as Ldapts.Entry[] };
        throw e;
      });
      if (searchEntries.length === 0) return { kind: 'refused', reason: 'unknown user' } as const;
      if (searchEntries.length > 1) return { kind: 'refused', reason: 'ambiguous user' } as const;
      const entry = searchEntries[0]!;
      const groups = await this.#groups(client, user, entry);
      try {
        await client.bind(entry.dn, password);
      } catch (e) {
        // ppolicy and AD answer a locked or disabled account the same way as a wrong password (49).
        if (e instanceof ldapts.InvalidCredentialsError) return { kind: 'refused', reason: 'wrong password or locked' } as const;
        throw e;
      }
      return { kind: 'ok', dn: entry.dn, groups } as const;
    });
  }

  /**
   * authenticate(), and the roles the configured rules give the user's groups: all that a service without users of
   * its own (the hub's admin login) needs. The desk adds its user rows, offline cache and audit (ldap-login.ts).
   */
  async login(user: string, password: string): Promise<LdapLogin> {
    const r = await this.authenticate(user, password);
    return r.kind === 'ok' ? { ...r, grant: mapRoles(this.config.roles, r.groups) } : r;
  }

  async #groups(client: Ldapts.Client, user: string, entry: Ldapts.Entry): Promise<string[]> {
    const g = this.config.groups;
    switch (g.mode) {
      case 'memberOf':
        return g.nested ? this.#nestedMemberOf(client, first(entry.memberOf)) : first(entry.memberOf);
      case 'inChain': {
        const r = await client.search(g.base, { scope: 'sub', filter: inChainFilter(entry.dn), attributes: ['dn'], sizeLimit: MAX_GROUPS });
        return r.searchEntries.map((e) => e.dn);
      }
      case 'search': {
        const r = await client.search(g.base, { scope: 'sub', filter: fillFilter(g.filter, { user, dn: entry.dn }), attributes: ['dn'], sizeLimit: MAX_GROUPS });
        return r.searchEntries.map((e) => e.dn);
      }
    }
  }

  /** Groups of groups: memberOf of every group found, breadth first, each group read once. */
  async #nestedMemberOf(client: Ldapts.Client, direct: string[]): Promise<string[]> {
    const seen = new Map<string, string>();
    let frontier = direct;
    for (let depth = 0; depth < MAX_NESTING && frontier.length > 0 && seen.size < MAX_GROUPS; depth++) {
      const next: string[] = [];
      for (const dn of frontier) {
        const key = normalizeDn(dn);
        if (seen.has(key) || seen.size >= MAX_GROUPS) continue;
        seen.set(key, dn);
        const r = await client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: ['memberOf'] }).catch((e: unknown) => {
          if (e instanceof ldapts.ResultCodeError && e.code === 32) return { searchEntries: [] }; // a group deleted meanwhile
          throw e;
        });
        for (const e of r.searchEntries) next.push(...first(e.memberOf));
      }
      frontier = next;
    }
    return [...seen.values()];
  }
}
