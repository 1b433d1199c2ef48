// Issue 13 §6, the slow half: `custody sign` killed at random moments through a batch of photos, and a video
// killed at each named point; after the next open every state is nothing or record + audit entry + file.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { SIGN_CRASH_POINTS } from '../core/provenance/placement.ts';
import { makeSlideshow } from './fixtures/video.ts';
import { photo } from './fixtures/photos.ts';
import { freshDesk, tempDir } from './helpers/cli.ts';
import { expectNothingOrEverything, signChild as sign } from './helpers/sign-crash.ts';

describe('kill -9 of `custody sign`', () => {
  it('at random moments, a batch of three photos', { timeout: 600_000 }, async () => {
    const env = await freshDesk();
    const dir = tempDir();
    const names = ['astronaut.png', 'coffee.png', 'chelsea.png'];
    const inputs: string[] = [];
    for (const n of names) {
      const p = join(dir, n);
      await sharp(photo(n)).resize(600).toFile(p);
      inputs.push(p);
    }
    // How long a full run takes here, then kills spread across it.
    mkdirSync(join(dir, 'probe'));
    const t0 = Date.now();
    expect((await sign(env, [...inputs, '--out', join(dir, 'probe')])).code).toBe(0);
    const full = Date.now() - t0;
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const out = join(dir, `out-${i}`);
      // The same photos as the probe's, signed again on purpose.
      await sign(env, [...inputs, '--out', out, '--again'], { killAfterMs: Math.round(full * (0.35 + 0.15 * i + Math.random() * 0.1)) });
      for (const s of expectNothingOrEverything(env.CUSTODY_HOME!, out, names)) seen.add(s);
    }
    expect(seen.size).toBeGreaterThan(0);
  });

  it.each(SIGN_CRASH_POINTS)('a video at %s: nothing or record + audit + file', { timeout: 300_000 }, async (point) => {
    const env = await freshDesk();
    const dir = tempDir();
    const src = join(dir, 'clip.mp4');
    await makeSlideshow(src, { width: 320, height: 240, fps: 10, seconds: 6 });
    const out = join(dir, 'out');
    const r = await sign(env, [src, '--out', out], { crashAt: point });
    expect(r.signal, r.stderr).toBe('SIGKILL');
    const [state] = expectNothingOrEverything(env.CUSTODY_HOME!, out, ['clip.mp4']);
    expect(state).toBe(SIGN_CRASH_POINTS.indexOf(point) >= SIGN_CRASH_POINTS.indexOf('sign:committed') ? 'signed' : 'nothing');
  });
});
