// The one entry point to @peculiar/x509 in core. Version 2 resolves its ASN.1 schemas through tsyringe, which needs
// the Reflect metadata API: the polyfill must be evaluated before the library, so import x509 only from here.
// Loaded on first use (lazy-package.ts): signing with a stored chain reads no certificate with it.
import { createRequire } from 'node:module';
import { webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { lazyPackage } from '../lazy-package.ts';

const require = createRequire(import.meta.url);

export const x509: typeof X509 = lazyPackage(() => {
  require('reflect-metadata');
  const x = require('@peculiar/x509') as typeof X509;
  x.cryptoProvider.set(webcrypto as unknown as Crypto);
  return x;
});

export type { X509 };
export const subtle: SubtleCrypto = webcrypto.subtle as unknown as SubtleCrypto;
