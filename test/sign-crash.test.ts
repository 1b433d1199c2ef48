// Issue 13 §6: a crash never leaves a signed file without its record. `custody sign` is killed with SIGKILL at
// each named point of the output's placement (CUSTODY_CRASH_POINT, core/crash-point.ts; random moments and video
// are in sign-crash.slow.test.ts); after the desk is opened again (which finishes or rolls back what was in flight) every state must be "nothing"
// or "record + audit entry + the signed file", and no temporary file may be left.
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { SIGN_CRASH_POINTS } from '../core/provenance/placement.ts';
import { photo } from './fixtures/photos.ts';
import { freshDesk, tempDir } from './helpers/cli.ts';
import { expectNothingOrEverything, signChild as sign } from './helpers/sign-crash.ts';

describe('kill -9 of `custody sign`', () => {
  it.each(SIGN_CRASH_POINTS)('at %s: after the next open, nothing or record + audit + file', { timeout: 180_000 }, async (point) => {
    const env = await freshDesk();
    const dir = tempDir();
    const src = join(dir, 'coffee.png');
    await sharp(photo('coffee.png')).resize(400).toFile(src);
    const out = join(dir, 'out');
    const r = await sign(env, [src, '--out', out], { crashAt: point });
    expect(r.signal, r.stderr).toBe('SIGKILL');
    const [state] = expectNothingOrEverything(env.CUSTODY_HOME!, out, ['coffee.png']);
    // Once the record has committed, the signature is kept; before, nothing of it remains.
    expect(state).toBe(SIGN_CRASH_POINTS.indexOf(point) >= SIGN_CRASH_POINTS.indexOf('sign:committed') ? 'signed' : 'nothing');
  });
});
