// A real desk (SQLite file, vault, signing key) in a temp folder, for in-process tests.
import { join } from 'node:path';
import { PassphraseProtector } from '../../core/crypto/vault.ts';
import { Desk } from '../../core/desk.ts';
import { tempDir } from './cli.ts';

export const TEST_SCRYPT = { N: 1 << 10, r: 8, p: 1 };

export async function tempDesk(org = 'Test Newsroom', passphrase = 'test passphrase'): Promise<Desk> {
  const { desk } = await Desk.init(join(tempDir('custody-desk-'), 'desk'), { org, protector: new PassphraseProtector(passphrase, TEST_SCRYPT) });
  return desk;
}

/**
 * Takes an item through the default approval workflow and publishes it: ed (editor) submits, cy (editor, chief)
 * approves the desk and chief stages. The users are created the first time, under a bootstrap admin.
 */
export async function approveAndPublish(desk: Desk, recordId: string, outDir: string): ReturnType<Desk['workflow']['publish']> {
  if (desk.bootstrapActor()) {
    const root = desk.bootstrapActor()!;
    const ada = await desk.directory.addUser(root, { name: 'ada', roles: ['admin'], password: 'ada-tidal-lantern-42-1' });
    const admin = { name: ada.name, roles: ada.roles };
    await desk.directory.addUser(admin, { name: 'ed', roles: ['editor'], password: 'ed-tidal-lantern-42-1' });
    await desk.directory.addUser(admin, { name: 'cy', roles: ['editor', 'chief'], password: 'cy-tidal-lantern-42-1' });
  }
  const ed = { name: 'ed', roles: ['editor' as const] };
  const cy = { name: 'cy', roles: ['editor' as const, 'chief' as const] };
  desk.workflow.submit(ed, recordId);
  desk.workflow.approve(cy, recordId);
  desk.workflow.approve(cy, recordId);
  return desk.workflow.publish(ed, recordId, { outDir });
}
