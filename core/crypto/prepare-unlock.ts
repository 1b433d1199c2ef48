// The vault's key derivation started early. A fresh `custody sign` derived the passphrase's key (scrypt, N = 2^17)
// after loading the desk's modules, one after the other; the salt is in the database, so with the database alone
// the derivation starts first, on libuv's thread pool, while this thread loads the rest (cli/context.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, type Store } from '../store/db.ts';
import { DB_FILE } from '../store/home.ts';
import { getWrappedKey } from '../store/vault-rows.ts';
import type { PassphraseProtector } from './vault.ts';

/** Starts `protector`'s derivation for the vault of the desk at `home`; nothing where there is no desk or vault. */
export function prepareUnlock(home: string, protector: PassphraseProtector): void {
  const path = join(home, DB_FILE);
  if (!existsSync(path)) return;
  let store: Store | undefined;
  try {
    store = openStore(path, { readonly: true });
    const wrapped = getWrappedKey(store, protector.kind);
    if (wrapped) protector.prepare(wrapped);
  } catch {
    // the desk's own open says what is wrong with it
  } finally {
    store?.close();
  }
}
