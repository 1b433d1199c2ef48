// Canonical JSON: the JSON Canonicalization Scheme (RFC 8785, JCS). What the audit log hashes and what a
// publication statement signs, so that the same value always has the same bytes, in any language.
//
// JCS = I-JSON values (RFC 7493), object members sorted by the UTF-16 code units of their names, no whitespace,
// strings escaped as ECMAScript's JSON.stringify does, numbers as ECMAScript's Number.prototype.toString.
// Those last two are exactly what JSON.stringify produces in ES2019+, so only the ordering and the refusals
// (non-finite numbers, lone surrogates, values JSON cannot hold) are written out here.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function canonicalJson(value: unknown): string {
  return write(value, '$');
}

/** A string value as canonical JSON writes it, for writers of one fixed shape (core/sync/hub-records.ts). */
export function canonicalString(v: string, path = '$'): string {
  if (LONE_SURROGATE.test(v)) throw new TypeError(`canonical JSON: expected well-formed Unicode at ${path}, got a lone surrogate`);
  return JSON.stringify(v);
}

/** A number value as canonical JSON writes it. */
export function canonicalNumber(v: number, path = '$'): string {
  if (!Number.isFinite(v)) throw new TypeError(`canonical JSON: expected a finite number at ${path}, got ${v}`);
  return JSON.stringify(v);
}

/**
 * Whether `v` is a plain object whose own members are exactly `members`: what a writer of one fixed shape checks
 * before writing members in their sorted order itself (anything else goes to canonicalJson, which says what is wrong).
 */
export function hasExactMembers(v: unknown, members: readonly string[]): boolean {
  if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) return false;
  let n = 0;
  for (const k in v) if (Object.hasOwn(v, k)) n++;
  return n === members.length && members.every((k) => Object.hasOwn(v, k));
}

function write(v: unknown, path: string): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return canonicalNumber(v, path);
    case 'string':
      return canonicalString(v, path);
    case 'object': {
      if (Array.isArray(v)) {
        return `[${v.map((x, i) => {
          if (x === undefined) throw new TypeError(`canonical JSON: expected a JSON value at ${path}[${i}], got undefined`);
          return write(x, `${path}[${i}]`);
        }).join(',')}]`;
      }
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError(`canonical JSON: expected a plain object at ${path}, got ${(v as object).constructor?.name ?? 'an exotic object'}`);
      }
      // Default sort compares UTF-16 code units, which is what RFC 8785 §3.2.3 asks for.
      const keys = Object.keys(v).sort();
      const members: string[] = [];
      for (const k of keys) {
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined) continue; // as JSON.stringify: an absent member
        if (LONE_SURROGATE.test(k)) throw new TypeError(`canonical JSON: expected well-formed Unicode in a member name at ${path}, got a lone surrogate`);
        members.push(`${JSON.stringify(k)}:${write(x, `${path}.${k}`)}`);
      }
      return `{${members.join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON: expected a JSON value at ${path}, got ${typeof v}`);
  }
}
