// Issue 17, done when: two desks of one organisation and one hub (a real `custody hub serve` process on
// 127.0.0.1). Desk A signs a photo while the hub is down; the photo is re-encoded as it would be online; desk B does
// not know it. Once the hub is back and A syncs, B recognises the copy through the hub ("signed by desk A of the
// org at T"), having sent fingerprints only. Everything runs through the real `custody` command.
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { photo } from './fixtures/photos.ts';
import { freshDesk, runCli, tempDir } from './helpers/cli.ts';
import { HubProcess } from './helpers/sync-hub.ts';

let hub: HubProcess;
let a: Record<string, string>;
let b: Record<string, string>;
let dir: string;

const cli = async (env: Record<string, string>, args: string[]) => {
  const r = await runCli(args, env);
  return { ...r, json: () => JSON.parse(r.stdout) as Record<string, unknown> };
};

beforeAll(async () => {
  dir = tempDir('custody-two-desks-');
  [hub, a, b] = await Promise.all([HubProcess.create('Daily Planet'), freshDesk('Daily Planet'), freshDesk('Daily Planet')]);
}, 120_000);
afterAll(async () => {
  await hub?.close();
});

describe('two desks, one hub', { timeout: 120_000 }, () => {
  let copy: string;
  let recordId: string;

  it('both desks enrol with their own one-time tokens', async () => {
    for (const [env, name] of [[a, 'photo desk A'], [b, 'sports desk B']] as const) {
      const r = await cli(env, ['hub', 'connect', hub.url, '--enrolment-token', await hub.enrolmentToken(name), '--name', name, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json()).toMatchObject({ org: 'Daily Planet', deskName: name });
    }
  });

  it('desk A signs while the hub is down: the record waits in its outbox', async () => {
    await hub.kill();
    const src = join(dir, 'harbour.png');
    await sharp(photo('coffee.png')).resize(480).png().toFile(src);
    const s = await cli(a, ['sign', src, '--out', join(dir, 'signed'), '--json']);
    expect(s.code, s.stderr).toBe(0);
    const [receipt] = JSON.parse(s.stdout) as { recordId: string; output: string }[];
    recordId = receipt!.recordId;
    const sync = await cli(a, ['sync', '--once']);
    expect(sync.code, sync.stderr).toBe(1);
    expect(sync.stderr).toMatch(/stopped: .*ECONNREFUSED/);
    const st = (await cli(a, ['hub', 'status', '--json'])).json() as { outbox: { pending: number; oldestPending: { ref: string; attempts: number } }; link: { lastError: string } };
    expect(st.outbox.oldestPending).toMatchObject({ ref: recordId, attempts: 1 });
    expect(st.link.lastError).toMatch(/ECONNREFUSED/);
    // Published online: re-encoded as a JPEG at quality 80, its Content Credentials gone.
    copy = join(dir, 'found-online.jpg');
    await sharp(receipt!.output).jpeg({ quality: 80 }).toFile(copy);
  });

  it('desk B, offline too, answers from its own database and says the hub was not reached', async () => {
    const v = await cli(b, ['verify', copy, '--json']);
    expect(v.code).toBe(1);
    expect(v.json()).toMatchObject({ verdict: 'unknown', hub: { reached: false, reason: expect.stringMatching(/ECONNREFUSED/) } });
  });

  it('once the hub is back and A has synced, B recognises the copy through the hub: signed by desk A', async () => {
    await hub.start();
    const sync = await cli(a, ['sync', '--once']);
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stderr).toMatch(/pushed 1 new/);
    expect((await hub.records()).map((r) => r.id)).toEqual([recordId]);
    const v = await cli(b, ['verify', copy, '--json']);
    expect(v.code, v.stderr).toBe(0);
    const report = v.json() as { verdict: string; hub: Record<string, unknown> };
    expect(report.verdict).toBe('unknown');
    expect(report.hub).toMatchObject({
      reached: true,
      verdict: 'derived',
      otherDesk: true,
      record: { id: recordId, org: 'Daily Planet', desk: { name: 'photo desk A' } },
      summary: expect.stringMatching(/^derived: signed by desk photo desk A of Daily Planet at .*another desk/),
    });
    // Fingerprints only: the SHA-256, the watermark payload and the pHash, never the file.
    expect(Object.keys(report.hub.sent as object).sort()).toEqual(['payload', 'phash', 'sha256']);
    const text = await cli(b, ['verify', copy]);
    expect(text.stdout).toMatch(/hub +derived: signed by desk photo desk A/);
  });

  it("A gets the record's proof back from the hub's log, and `custody proof verify` accepts it with the hub key alone", async () => {
    let held = 0;
    for (let i = 0; i < 20 && held === 0; i++) {
      const s = await cli(a, ['sync', '--once']);
      expect(s.code, s.stderr).toBe(0);
      held = ((await cli(a, ['hub', 'status', '--json'])).json() as { proofs: { held: number } }).proofs.held;
    }
    expect(held).toBe(1);
    const file = join(dir, 'proof.json');
    expect((await cli(a, ['hub', 'proof', recordId, '--out', file])).code).toBe(0);
    const key = (await runCli(['hub', 'key', '--data', hub.dataDir])).stdout.trim();
    const v = await runCli(['proof', 'verify', file, '--hub-key', key]);
    expect(v.code, v.stderr + v.stdout).toBe(0);
    expect(v.stdout).toContain(recordId);
  });
});
