// kill -9 of a real hub process while it anchors, at the two steps that matter most: right after the signed
// transaction is stored (never sent), and right after it was sent (its fate unknown to the hub). A restart finishes
// every batch and the chain holds every checkpoint exactly once. Every step: anchor-crash.slow.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anchorDrill, type Drill } from './helpers/anchor-crash.ts';

let drill: Drill;
beforeAll(async () => {
  drill = await anchorDrill();
});
afterAll(async () => drill?.close());

describe('anchoring survives kill -9', () => {
  it.each(['anchor.signed', 'anchor.sent'])('at %s: restarted, every checkpoint is on chain exactly once', async (point) => {
    await drill.crashAt(point);
    expect(await drill.checkExactlyOnce()).toBeGreaterThan(0);
  });
});
