// Putting untrusted text into LDAP: values into search filters (RFC 4515) and into distinguished names (RFC 4514),
// and DNs compared the way a directory compares them (case, spacing and escaping are not significant).
import { ldapts } from './ldapts.ts';
import { CustodyError } from '../errors.ts';

/**
 * RFC 4515 §3: a value inside a filter. `*`, `(`, `)`, `\` and NUL become `\2a`, `\28`, `\29`, `\5c`, `\00`, so
 * that `*)(uid=*` is a name with odd characters in it, never a wildcard or a second clause. ldapts's Filter.escape
 * does exactly this.
 */
export function escapeFilterValue(value: string): string {
  return ldapts.Filter.escape(value);
}

const PLACEHOLDER = /\{([a-z]+)\}/g;

/** Checks a configured filter: its placeholders are among `allowed`, `required` ones are present, and it parses. */
export function checkFilterTemplate(template: string, allowed: readonly string[], required: readonly string[], what: string): string {
  const used = [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
  const unknown = used.filter((p) => !allowed.includes(p));
  if (unknown.length > 0) {
    throw new CustodyError('INVALID_ARGUMENT', `expected ${what} to use only ${allowed.map((p) => `{${p}}`).join(', ')}, got {${unknown[0]}}`);
  }
  const missing = required.filter((p) => !used.includes(p));
  if (missing.length > 0) throw new CustodyError('INVALID_ARGUMENT', `expected ${what} to contain {${missing[0]}}, got ${template}`);
  try {
    ldapts.FilterParser.parseString(fillFilter(template, Object.fromEntries(allowed.map((p) => [p, 'x']))));
  } catch (e) {
    throw new CustodyError('INVALID_ARGUMENT', `expected ${what} to be an LDAP filter like (uid={user}), got ${template}: ${(e as Error).message}`);
  }
  return template;
}

/** The filter with each `{name}` replaced by its value, escaped; an unknown placeholder is an error, not left in. */
export function fillFilter(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new CustodyError('INVALID_ARGUMENT', `expected a value for {${name}} in the filter ${template}, got none`);
    return escapeFilterValue(v);
  });
}

/**
 * RFC 4514 §2.4: a value inside a DN. `"`, `+`, `,`, `;`, `<`, `>`, `\` anywhere, `#` and a space at the start, a
 * space at the end, and NUL are escaped, so that a value cannot end its RDN and start another one.
 */
export function escapeDnValue(value: string): string {
  let out = '';
  const chars = [...value];
  chars.forEach((c, i) => {
    if (c === '\0') out += '\\00';
    else if ('"+,;<>\\'.includes(c)) out += `\\${c}`;
    else if (i === 0 && (c === '#' || c === ' ')) out += `\\${c}`;
    else if (i === chars.length - 1 && c === ' ') out += '\\ ';
    else out += c;
  });
  return out;
}

export interface Ava {
  type: string;
  value: string;
}

const badDn = (dn: string, why: string) => new CustodyError('INVALID_ARGUMENT', `expected a distinguished name like cn=Editors,ou=Groups,dc=example,dc=org, got ${JSON.stringify(dn)}: ${why}`);

/** Splits an RFC 4514 DN into its RDNs, each a list of attribute type and (unescaped) value. */
export function parseDn(dn: string): Ava[][] {
  const rdns: Ava[][] = [];
  let avas: Ava[] = [];
  let i = 0;
  const s = dn.trim();
  if (s === '') throw badDn(dn, 'it is empty');
  while (i <= s.length) {
    const eq = s.indexOf('=', i);
    if (eq < 0) throw badDn(dn, `"${s.slice(i)}" has no "="`);
    const type = s.slice(i, eq).trim();
    if (!/^([A-Za-z][A-Za-z0-9-]*|\d+(\.\d+)*)$/.test(type)) throw badDn(dn, `"${type}" is not an attribute type`);
    i = eq + 1;
    const bytes: number[] = [];
    let trailing = 0; // unescaped spaces at the end, which are not part of the value
    for (; i < s.length && !',+;'.includes(s[i]!); i++) {
      const c = s[i]!;
      if (c === '\\') {
        const hex = s.slice(i + 1, i + 3);
        if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
          bytes.push(Number.parseInt(hex, 16));
          i += 2;
        } else if (i + 1 < s.length) {
          bytes.push(...Buffer.from(s[++i]!, 'utf8'));
        } else {
          throw badDn(dn, 'it ends with "\\"');
        }
        trailing = 0;
      } else {
        if (c === ' ') trailing++;
        else trailing = 0;
        if (c === ' ' && bytes.length === 0) continue; // spaces after "="
        bytes.push(...Buffer.from(c, 'utf8'));
      }
    }
    const value = Buffer.from(bytes.slice(0, bytes.length - trailing)).toString('utf8');
    avas.push({ type: type.toLowerCase(), value });
    const sep = s[i];
    i++;
    if (sep !== '+') {
      rdns.push(avas);
      avas = [];
    }
    if (sep === undefined) break;
  }
  return rdns;
}

/**
 * One spelling per DN: attribute types and values lower-cased, insignificant spaces dropped, multi-valued RDNs
 * sorted, values re-escaped. Directories compare the names of groups without regard to case (caseIgnoreMatch), so
 * `CN=Editors, OU=Groups,DC=corp` from AD and `cn=editors,ou=groups,dc=corp` typed by an admin are the same group.
 */
export function normalizeDn(dn: string): string {
  return parseDn(dn)
    .map((rdn) =>
      rdn
        .map((a) => `${a.type}=${escapeDnValue(a.value.normalize('NFC').toLowerCase().replace(/ +/g, ' '))}`)
        .sort()
        .join('+'),
    )
    .join(',');
}

export function sameDn(a: string, b: string): boolean {
  try {
    return normalizeDn(a) === normalizeDn(b);
  } catch {
    return false;
  }
}
