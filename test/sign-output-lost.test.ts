// Issue 13 §6, the last branch of recovery: `custody sign` is killed (SIGKILL) after its record committed and
// before the file was placed, and the temporary output then vanishes (someone cleaned the folder) before the desk
// is opened again. The next open must not invent a file: the record keeps its signature but no output path, the
// intent is gone, and the audit log says `record.output_lost` for that record.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { auditEntries } from '../core/audit/log.ts';
import { Desk } from '../core/desk.ts';
import { sql } from '../core/store/db.ts';
import { photo } from './fixtures/photos.ts';
import { CHEAP_SCRYPT, freshDesk, tempDir } from './helpers/cli.ts';
import { signChild } from './helpers/sign-crash.ts';

describe('a signed output lost before the desk reopened', () => {
  it('is recorded as lost (record.output_lost), not placed, and leaves no file behind', { timeout: 180_000 }, async () => {
    const env = await freshDesk();
    const dir = tempDir();
    const src = join(dir, 'coffee.png');
    await sharp(photo('coffee.png')).resize(400).toFile(src);
    const out = join(dir, 'out');
    const r = await signChild(env, [src, '--out', out], { crashAt: 'sign:committed' });
    expect(r.signal, r.stderr).toBe('SIGKILL');

    // Only the temporary name exists: the record committed, the link never happened. It vanishes now.
    const left = readdirSync(out);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/\.part$/);
    rmSync(join(out, left[0]!));

    const desk = Desk.open(env.CUSTODY_HOME!, { passwordParams: CHEAP_SCRYPT });
    try {
      const records = desk.store.all<{ id: string; output_path: string | null; output_sha256: string | null }>(sql`SELECT id, output_path, output_sha256 FROM records`);
      expect(records).toHaveLength(1);
      const [rec] = records;
      // The signature stays (it was made and audited); the record no longer claims a file.
      expect(rec).toMatchObject({ output_path: null, output_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(desk.store.all(sql`SELECT * FROM output_intents`)).toEqual([]);
      const entries = [...auditEntries(desk.store, { subject: rec!.id })].map((e) => e.action);
      expect(entries).toEqual(['record.signed', 'record.output_lost']);
      expect(readdirSync(out)).toEqual([]);
      expect(existsSync(join(out, 'coffee.signed.png'))).toBe(false);
    } finally {
      desk.close();
    }
    // A second open has nothing left to recover: the loss is recorded once.
    const again = Desk.open(env.CUSTODY_HOME!, { passwordParams: CHEAP_SCRYPT });
    try {
      expect([...auditEntries(again.store)].filter((e) => e.action === 'record.output_lost')).toHaveLength(1);
    } finally {
      again.close();
    }
  });
});
