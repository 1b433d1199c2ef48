// A real desk (SQLite file, vault, signing key) in a temp folder, for in-process tests.
import { join } from 'node:path';
import { PassphraseProtector } from '../../core/crypto/vault.ts';
import { Desk } from '../../core/desk.ts';
import { tempDir } from './cli.ts';

export const TEST_SCRYPT = { N: 1 << 10, r: 8, p: 1 };

export async function tempDesk(org = 'Test Newsroom', passphrase = 'pw'): Promise<Desk> {
  const { desk } = await Desk.init(join(tempDir('custody-desk-'), 'desk'), { org, protector: new PassphraseProtector(passphrase, TEST_SCRYPT) });
  return desk;
}
