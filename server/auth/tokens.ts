// Bearer secrets: API keys, admin sessions and enrolment tokens. Each is `<prefix>_<id>_<secret>`, with 256 random
// bits of secret; the hub keeps only SHA-256 of the whole token (a fast hash is enough for secrets this long, and
// lets a lookup be one indexed query), so a token is shown once, when it is made.
import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../../core/media/hash.ts';

export type TokenKind = 'key' | 'session' | 'enrol';
const PREFIX: Record<TokenKind, string> = { key: 'chk', session: 'chs', enrol: 'che' };

export interface NewToken {
  id: string;
  token: string;
  sha256: string;
}

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(10).toString('base64url')}`;
}

export function newToken(kind: TokenKind): NewToken {
  const id = randomBytes(9).toString('base64url');
  const token = `${PREFIX[kind]}_${id}_${randomBytes(32).toString('base64url')}`;
  return { id: `${kind}_${id}`, token, sha256: tokenHash(token) };
}

export function tokenHash(token: string): string {
  return sha256Hex(token);
}

/** The kind a token claims by its prefix, or null for anything that is not one of the hub's tokens. */
export function tokenKind(token: string): TokenKind | null {
  const m = /^(chk|chs|che)_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{43}$/.exec(token);
  if (!m) return null;
  return m[1] === 'chk' ? 'key' : m[1] === 'chs' ? 'session' : 'enrol';
}
