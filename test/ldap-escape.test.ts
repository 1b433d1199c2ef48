// Escaping for LDAP filters (RFC 4515) and DNs (RFC 4514), DN comparison, the configuration's checks and the
// group-to-role mapping: known answers and table-driven bad inputs.
import { readFileSync } from 'node:fs';
import { FilterParser } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { mapRoles, parseLdapConfig, type LdapConfigInput } from '../core/directory/ldap-config.ts';
import { inChainFilter } from '../core/directory/ldap-source.ts';
import { checkFilterTemplate, escapeDnValue, escapeFilterValue, fillFilter, normalizeDn, parseDn, sameDn } from '../core/directory/ldap-escape.ts';

describe('filter values (RFC 4515 §3)', () => {
  it('escape the five characters that carry syntax, and nothing else', () => {
    // The RFC's own examples, then the injection attempts.
    expect(escapeFilterValue('Parens R Us (for all your parenthetical needs)')).toBe('Parens R Us \\28for all your parenthetical needs\\29');
    expect(escapeFilterValue('*')).toBe('\\2a');
    expect(escapeFilterValue('C:\\MyFile')).toBe('C:\\5cMyFile');
    expect(escapeFilterValue('a\u0000b')).toBe('a\\00b');
    expect(escapeFilterValue('*)(uid=*')).toBe('\\2a\\29\\28uid=\\2a');
    expect(escapeFilterValue('Lučić-Ørsted é')).toBe('Lučić-Ørsted é');
  });

  it('keep an injected name one equality test on one value', () => {
    for (const name of ['*)(uid=*', 'alice)(|(uid=*', '*', 'x\\', ')(', '\u0000']) {
      const f = FilterParser.parseString(fillFilter('(&(objectClass=user)(sAMAccountName={user}))', { user: name }));
      const clauses = (f as unknown as { filters: { attribute: string; value: unknown; type: number }[] }).filters;
      expect(clauses).toHaveLength(2);
      expect(clauses[1]!.attribute).toBe('sAMAccountName');
      expect(clauses[1]!.type).toBe(0xa3); // equalityMatch, not a substring or presence test
    }
  });

  it("build AD's in-chain group filter with the user's DN escaped as a value", () => {
    expect(inChainFilter('CN=Ann Lee,OU=Staff,DC=corp')).toBe('(member:1.2.840.113556.1.4.1941:=CN=Ann Lee,OU=Staff,DC=corp)');
    // A DN may hold filter syntax in its values (escaped there per RFC 4514, but not for a filter).
    const dn = 'CN=Lee\\, Ann (Photo*),OU=Staff,DC=corp';
    const f = inChainFilter(dn);
    expect(f).toBe('(member:1.2.840.113556.1.4.1941:=CN=Lee\\5c, Ann \\28Photo\\2a\\29,OU=Staff,DC=corp)');
    const parsed = FilterParser.parseString(f) as unknown as { type: number; matchType: string; rule: string; value: string };
    expect(parsed).toMatchObject({ type: 0xa9, matchType: 'member', rule: '1.2.840.113556.1.4.1941', value: dn });
  });

  it('check configured templates: placeholders known, required ones present, the filter parses', () => {
    expect(checkFilterTemplate('(uid={user})', ['user'], ['user'], 'the user filter')).toBe('(uid={user})');
    const bad: [string, RegExp][] = [
      ['(uid=alice)', /to contain \{user\}/],
      ['(uid={name})', /only \{user\}, got \{name\}/],
      ['(uid={user}', /to be an LDAP filter/],
      ['uid={user})(', /to be an LDAP filter/],
    ];
    for (const [t, msg] of bad) expect(() => checkFilterTemplate(t, ['user'], ['user'], 'the user filter'), t).toThrow(msg);
    expect(() => fillFilter('(member={dn})', { user: 'x' })).toThrow(/a value for \{dn\}/);
  });
});

describe('DN values (RFC 4514 §2.4) and DN comparison', () => {
  it('escape specials anywhere, # and space at the start, space at the end', () => {
    const cases: [string, string][] = [
      ['Sue, Grabbit and Runn', 'Sue\\, Grabbit and Runn'],
      ['Before\rAfter', 'Before\rAfter'],
      ['#hash', '\\#hash'],
      [' lead and trail ', '\\ lead and trail\\ '],
      ['a+b;c<d>e"f\\g', 'a\\+b\\;c\\<d\\>e\\"f\\\\g'],
      ['nul\u0000', 'nul\\00'],
      ['mid#dle', 'mid#dle'],
    ];
    for (const [raw, escaped] of cases) expect(escapeDnValue(raw), raw).toBe(escaped);
  });

  it('parse back what they escape (round trip), including multi-valued RDNs and hex escapes', () => {
    for (const v of ['Sue, Grabbit and Runn', '#x', ' x ', 'a+b', 'é\\"', 'Lu\u010Di\u0107']) {
      expect(parseDn(`cn=${escapeDnValue(v)},dc=example`)).toEqual([[{ type: 'cn', value: v }], [{ type: 'dc', value: 'example' }]]);
    }
    expect(parseDn('OU=Sales+CN=J. Smith,DC=example,DC=net')).toEqual([
      [{ type: 'ou', value: 'Sales' }, { type: 'cn', value: 'J. Smith' }],
      [{ type: 'dc', value: 'example' }],
      [{ type: 'dc', value: 'net' }],
    ]);
    expect(parseDn('CN=Lu\\C4\\8Di\\C4\\87')).toEqual([[{ type: 'cn', value: 'Lučić' }]]);
  });

  it('compare DNs without regard to case, spacing or escaping, and not more loosely', () => {
    expect(sameDn('CN=Editors,OU=Groups,DC=corp,DC=example', 'cn=editors, ou=groups , dc=Corp,dc=EXAMPLE')).toBe(true);
    expect(sameDn('cn=a\\2cb,dc=x', 'cn=a\\,b,dc=x')).toBe(true);
    expect(sameDn('ou=Sales+cn=J,dc=x', 'CN=J+OU=Sales,DC=x')).toBe(true);
    expect(sameDn('cn=editors,ou=groups,dc=corp', 'cn=editors,ou=groups,dc=corp2')).toBe(false);
    expect(sameDn('cn=editors,dc=corp', 'cn=editors\\,dc=corp')).toBe(false);
    expect(sameDn('cn=a b,dc=x', 'cn=ab,dc=x')).toBe(false);
    expect(normalizeDn('CN=Editors , DC=corp')).toBe('cn=editors,dc=corp');
  });

  it('refuse what is not a DN', () => {
    for (const bad of ['', 'editors', 'cn=a,', '=a', 'cn=a\\', '1cn=x']) expect(() => parseDn(bad), bad).toThrow(/expected a distinguished name/);
  });
});

const AD: LdapConfigInput = {
  url: 'ldaps://dc1.corp.example:636',
  bindDn: 'CN=svc-custody,OU=Service Accounts,DC=corp,DC=example',
  userBase: 'OU=Staff,DC=corp,DC=example',
  userFilter: '(&(objectClass=user)(sAMAccountName={user})(!(userAccountControl:1.2.840.113556.1.4.803:=2)))',
  groups: { mode: 'inChain', base: 'OU=Groups,DC=corp,DC=example' },
  roles: [{ group: 'CN=Custody Editors,OU=Groups,DC=corp,DC=example', roles: ['editor'] }],
};

describe('directory configuration', () => {
  it('takes the AD and OpenLDAP examples of the README and docs/directory.md, with defaults', () => {
    for (const doc of ['README.md', 'docs/directory.md']) {
      const text = readFileSync(new URL(`../${doc}`, import.meta.url), 'utf8');
      const examples = [...text.matchAll(/```json\n([\s\S]+?)```/g)].map((m) => JSON.parse(m[1]!) as Record<string, unknown>).filter((j) => 'userFilter' in j);
      expect(examples.map((e) => (e.groups as { mode: string }).mode), doc).toEqual(['inChain', 'memberOf']);
      for (const { bindPassword: _, ...e } of examples) expect(parseLdapConfig(e).offlineDays, doc).toBe(7);
    }
    const c = parseLdapConfig(AD);
    expect(c).toMatchObject({ caPem: null, offlineDays: 7, timeoutMs: 5000 });
    expect(parseLdapConfig({ ...AD, url: 'ldap://ldap.example.org', userFilter: '(uid={user})', groups: { mode: 'memberOf' } }).groups).toEqual({ mode: 'memberOf', nested: true });
  });

  it('refuses what would not work or not be safe, naming the field', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ url: 'http://dc1.corp.example' }, /url: expected a server URL/],
      [{ url: 'ldaps://dc1/ou=x?uid' }, /url: expected a server URL/],
      [{ userFilter: '(sAMAccountName=alice)' }, /userFilter: expected the user filter to contain \{user\}/],
      [{ bindDn: 'svc-custody' }, /bindDn: expected a distinguished name/],
      [{ roles: [] }, /roles: expected at least one group-to-role rule/],
      [{ roles: [{ group: 'CN=X,DC=corp', roles: ['owner'] }] }, /roles\.0\.roles\.0/],
      [{ roles: [{ group: 'Editors', roles: ['editor'] }] }, /roles\.0\.group/],
      [{ caPem: 'not a certificate' }, /caPem: expected PEM certificates/],
      [{ groups: { mode: 'search', base: 'OU=G,DC=corp', filter: '(memberUid={uid})' } }, /groups\.filter/],
      [{ offlineDays: 365 }, /offlineDays/],
    ];
    for (const [over, msg] of bad) expect(() => parseLdapConfig({ ...AD, ...over }), JSON.stringify(over)).toThrow(msg);
  });
});

describe('group-to-role mapping', () => {
  const rules = parseLdapConfig({
    ...AD,
    roles: [
      { group: 'CN=Custody Admins,OU=Groups,DC=corp,DC=example', roles: ['admin'] },
      { group: 'CN=Desk Chiefs,OU=Groups,DC=corp,DC=example', roles: ['chief', 'editor'] },
      { group: 'CN=Custody Editors,OU=Groups,DC=corp,DC=example', roles: ['editor'] },
      { group: '*', roles: ['viewer'] },
    ],
  }).roles;

  it('grants the roles of every matching rule, in role order, and says which rule gave which', () => {
    const g = mapRoles(rules, ['cn=desk chiefs,ou=groups,dc=corp,dc=example', 'CN=Custody Editors,OU=Groups,DC=corp,DC=example', 'CN=Other,DC=corp,DC=example']);
    expect(g.roles).toEqual(['editor', 'chief', 'viewer']);
    expect(g.from.map((f) => f.group)).toEqual(['CN=Desk Chiefs,OU=Groups,DC=corp,DC=example', 'CN=Custody Editors,OU=Groups,DC=corp,DC=example', '*']);
  });

  it('gives `*` to everyone and nothing else to someone in no mapped group', () => {
    expect(mapRoles(rules, []).roles).toEqual(['viewer']);
    expect(mapRoles(rules.slice(0, 3), ['CN=Other,DC=corp,DC=example'])).toEqual({ roles: [], from: [] });
  });
});
