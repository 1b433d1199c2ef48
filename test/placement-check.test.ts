// Defence in depth at placement: the bytes placed as a signed output must hash to the record's outputSha256 before
// the record commits. Otherwise the desk refuses (INTEGRITY_FAILED) and leaves nothing: no record, no file, no intent.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Desk } from '../core/desk.ts';
import { placeSignedOutput } from '../core/provenance/placement.ts';
import { sql } from '../core/store/db.ts';
import { ffmpeg } from './fixtures/video.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';

let desk: Desk;
let dir: string;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const records = () => desk.store.get<{ n: number }>(sql`SELECT count(*) AS n FROM records`)!.n;
const intents = () => desk.store.get<{ n: number }>(sql`SELECT count(*) AS n FROM output_intents`)!.n;

beforeAll(async () => {
  desk = await tempDesk('Placement Desk');
  dir = tempDir('custody-placement-');
}, 60_000);
afterAll(() => desk.close());

describe('placeSignedOutput', () => {
  const bytes = new TextEncoder().encode('the signed bytes');
  const cases: { name: string; key: string; content: () => Uint8Array | { copyFrom: string } }[] = [
    { name: 'bytes made in memory', key: 'mem', content: () => bytes },
    {
      name: 'a copy of a file',
      key: 'copy',
      content: () => {
        writeFileSync(join(dir, 'source.bin'), bytes);
        return { copyFrom: join(dir, 'source.bin') };
      },
    },
  ];

  for (const c of cases) {
    it(`${c.name}: refuses bytes that are not the record's, before the commit, and leaves nothing`, async () => {
      const out = join(dir, `refused-${c.key}`);
      let committed = false;
      const err = await placeSignedOutput(desk.store, { dir: out, name: 'a.signed.bin' }, c.content(), 'rec_test_refused', sha(new TextEncoder().encode('other bytes')), () => {
        committed = true;
      }).then(() => null, (e: unknown) => e as Error & { code?: string });
      expect(err?.code).toBe('INTEGRITY_FAILED');
      expect(err?.message).toMatch(/expected the signed output .* to hash to the record's SHA-256 [0-9a-f]{64}, got [0-9a-f]{64}/);
      expect(committed).toBe(false);
      expect(readdirSync(out)).toEqual([]);
      expect(intents()).toBe(0);
    });

    it(`${c.name}: places bytes that are the record's`, async () => {
      const out = join(dir, `placed-${c.key}`);
      let committed = '';
      const path = await placeSignedOutput(desk.store, { dir: out, name: 'a.signed.bin' }, c.content(), 'rec_test_placed', sha(bytes), (p) => {
        committed = p;
      });
      expect(path).toBe(join(out, 'a.signed.bin'));
      expect(committed).toBe(path);
      expect(sha(readFileSync(path))).toBe(sha(bytes));
      expect(readdirSync(out)).toEqual(['a.signed.bin']);
      expect(intents()).toBe(0);
    });
  }
});

it('a video whose private copy changes after it was fingerprinted is not signed: no record, no output', async () => {
  const input = join(dir, 'clip.mov');
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=25:duration=2', '-vf', 'format=yuv420p', '-c:v', 'libx264', '-preset', 'veryfast', input]);
  const scratch = join(desk.home, 'scratch');
  const before = records();
  let changed = false;
  const err = await desk.sign(input, {
    actor: desk.bootstrapActor()!,
    outDir: join(dir, 'out-video'),
    onProgress: (p) => {
      // Whoever could reach the desk's own copy (only the desk's OS user can) changes it just before it is placed.
      if (p.phase !== 'writing' || changed) return;
      for (const d of readdirSync(scratch)) for (const f of readdirSync(join(scratch, d))) writeFileSync(join(scratch, d, f), 'other bytes');
      changed = true;
    },
  }).then(() => null, (e: unknown) => e as Error & { code?: string });
  expect(changed).toBe(true);
  expect(err?.code).toBe('INTEGRITY_FAILED');
  expect(records()).toBe(before);
  expect(intents()).toBe(0);
  expect(readdirSync(join(dir, 'out-video'))).toEqual([]);
  expect(readdirSync(scratch)).toEqual([]);
}, 60_000);
