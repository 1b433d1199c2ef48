// How hard a new secret is to guess. A vault passphrase and a user password must be at least 12 characters and
// score at least 3 ("safely unguessable: moderate protection from offline slow-hash scenario") on zxcvbn's 0–4
// scale, the estimator NIST SP 800-63B §5.1.1.2 has in mind when it asks to refuse guessable secrets. Existing
// secrets are never re-checked: only what is chosen now.
import { createRequire } from 'node:module';
import type * as ZxcvbnCore from '@zxcvbn-ts/core';
import type * as ZxcvbnCommon from '@zxcvbn-ts/language-common';
import { CustodyError } from '../errors.ts';

export const MIN_SECRET_LENGTH = 12;
export const MIN_SECRET_SCORE = 3;

// The dictionaries are megabytes of JavaScript and building the matcher takes ~0.3 s: both only when a new secret
// is actually chosen, not at every start of a `custody` command.
let factory: ZxcvbnCore.ZxcvbnFactory | null = null;
function estimator(): ZxcvbnCore.ZxcvbnFactory {
  if (!factory) {
    const require = createRequire(import.meta.url);
    const { ZxcvbnFactory: Factory } = require('@zxcvbn-ts/core') as typeof ZxcvbnCore;
    const common = require('@zxcvbn-ts/language-common') as typeof ZxcvbnCommon;
    factory = new Factory({ dictionary: common.dictionary, graphs: common.adjacencyGraphs });
  }
  return factory;
}

export type SecretKind = 'passphrase' | 'password';

/**
 * Throws WEAK_PASSPHRASE / WEAK_PASSWORD unless `secret` is long and hard enough to guess. `context` are words an
 * attacker would try first (the user's name, the organisation).
 */
export function requireStrongSecret(secret: string, kind: SecretKind, context: readonly string[] = []): void {
  const code = kind === 'passphrase' ? 'WEAK_PASSPHRASE' : 'WEAK_PASSWORD';
  const what = kind === 'passphrase' ? 'a vault passphrase' : `a password${context[0] ? ` for ${context[0]}` : ''}`;
  const length = [...secret].length;
  if (length < MIN_SECRET_LENGTH) {
    throw new CustodyError(code, `expected ${what} of at least ${MIN_SECRET_LENGTH} characters, got ${length}: use several unrelated words`);
  }
  const r = estimator().check(secret, [...context, 'custody']);
  if (r.score < MIN_SECRET_SCORE) {
    // (zxcvbn's feedback is a translation key without the English language pack, so it is not repeated here.)
    throw new CustodyError(code, `expected ${what} that is hard to guess (strength ${MIN_SECRET_SCORE} of 4 or more), got one of strength ${r.score}: avoid names, common words and patterns, use several unrelated words`);
  }
}
