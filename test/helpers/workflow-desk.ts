// An in-process desk in a temporary folder, with cheap scrypt, and signed records made without decoding images:
// for tests of core (workflow, audit, directory) that do not need the sign pipeline or the CLI.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassphraseProtector, type ScryptParams } from '../../core/crypto/vault.ts';
import { Desk } from '../../core/desk.ts';
import type { Actor, Role } from '../../core/directory/roles.ts';
import { sha256Hex } from '../../core/media/hash.ts';
import { newRecordId } from '../../core/provenance/fingerprint.ts';
import { insertRecord, type SignedRecord } from '../../core/store/records.ts';

export const CHEAP: ScryptParams = { N: 1 << 10, r: 8, p: 1 };
export const PASSPHRASE = 'test passphrase';
export const protector = (): PassphraseProtector => new PassphraseProtector(PASSPHRASE, CHEAP);

export interface TestDesk {
  desk: Desk;
  home: string;
  admin: Actor;
  /** Reopens the same desk (locked unless unlock is true). */
  reopen(opts?: { unlock?: boolean }): Promise<Desk>;
}

export async function testDesk(opts: { admin?: boolean } = {}): Promise<TestDesk> {
  const home = join(mkdtempSync(join(tmpdir(), 'custody-core-')), 'desk');
  const { desk } = await Desk.init(home, {
    org: 'Test Newsroom',
    protector: protector(),
    passwordParams: CHEAP,
    ...(opts.admin === false ? {} : { admin: { name: 'ada', password: 'ada-tidal-lantern-42' } }),
  });
  return {
    desk,
    home,
    admin: { name: 'ada', roles: ['admin'] },
    async reopen(o = {}) {
      const d = Desk.open(home, { passwordParams: CHEAP });
      if (o.unlock) await d.unlock(protector());
      return d;
    },
  };
}

export async function addUsers(desk: Desk, by: Actor, users: Record<string, Role[]>): Promise<Record<string, Actor>> {
  const out: Record<string, Actor> = {};
  for (const [name, roles] of Object.entries(users)) {
    const u = await desk.directory.addUser(by, { name, roles, password: `${name}-tidal-lantern-42` });
    out[name] = { name: u.name, roles: u.roles };
  }
  return out;
}

/** A signed record whose signed output is a real file (random bytes), enough for the workflow and publishing. */
export function fakeSignedItem(desk: Desk, dir = desk.home): SignedRecord {
  const bytes = randomBytes(2048);
  const id = newRecordId();
  const output = join(dir, `${id}.signed.jpg`);
  writeFileSync(output, bytes);
  const key = desk.keys().find((k) => k.retiredAt === null)!;
  const r: SignedRecord = {
    id,
    kind: 'image',
    parentId: null,
    inputName: `${id}.jpg`,
    inputPath: join(dir, `${id}.jpg`),
    outputPath: output,
    format: 'opaque', // random bytes: published as a copy, no Content Credentials
    width: 640,
    height: 480,
    sha256: sha256Hex(randomBytes(32)),
    outputSha256: sha256Hex(bytes),
    phash: '0123456789abcdef',
    payload: null,
    watermark: 'skipped:TEST',
    fingerprint: 'test',
    signature: '00',
    publicKey: key.publicKey,
    keyId: key.id,
    signedAt: new Date().toISOString(),
    details: {},
  };
  insertRecord(desk.store, r);
  return r;
}
