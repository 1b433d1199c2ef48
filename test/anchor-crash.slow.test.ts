// kill -9 of a real hub process at every step of the anchoring worker (ANCHOR_CRASH_POINTS), one after another on
// one hub and one chain: after each restart every checkpoint signed so far is on chain exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANCHOR_CRASH_POINTS } from '../server/anchor/worker.ts';
import { anchorDrill, type Drill } from './helpers/anchor-crash.ts';

let drill: Drill;
beforeAll(async () => {
  drill = await anchorDrill();
});
afterAll(async () => drill?.close());

describe('anchoring survives kill -9 at every step', () => {
  it.each([...ANCHOR_CRASH_POINTS])('at %s', async (point) => {
    await drill.crashAt(point, 5);
    expect(await drill.checkExactlyOnce()).toBeGreaterThan(0);
  });
});
