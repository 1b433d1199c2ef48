// The one entry point to pkijs and asn1js in core (RFC 3161 time-stamp tokens), loaded on first use
// (lazy-package.ts): a signature without a time-stamp reads no token. pkijs does its cryptography with Node's WebCrypto.
import { createRequire } from 'node:module';
import { webcrypto } from 'node:crypto';
import type * as Asn1js from 'asn1js';
import type * as Pkijs from 'pkijs';
import { lazyPackage } from '../lazy-package.ts';

const require = createRequire(import.meta.url);

export const asn1js: typeof Asn1js = lazyPackage(() => require('asn1js') as typeof Asn1js);

export const pkijs: typeof Pkijs = lazyPackage(() => {
  const p = require('pkijs') as typeof Pkijs;
  p.setEngine('node', new p.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as Crypto }));
  return p;
});

export type { Asn1js, Pkijs };
