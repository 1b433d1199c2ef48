// The one entry point to @peculiar/x509 in core. Version 2 resolves its ASN.1 schemas through tsyringe, which needs
// the Reflect metadata API: the polyfill must be evaluated before the library, so import x509 only from here.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
export const subtle: SubtleCrypto = webcrypto.subtle as unknown as SubtleCrypto;
