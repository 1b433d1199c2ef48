// `custody settings set|show|unset tsa`, `tsa-anchors`, `custody timestamps list|stamp` and the time-stamp line of
// `custody verify`, through the real command against a real RFC 3161 responder on 127.0.0.1.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { photo } from './fixtures/photos.ts';
import { freshDesk, runCli, tempDir } from './helpers/cli.ts';
import { startTsa, type TsaServer } from './helpers/tsa.ts';

let env: Record<string, string>;
let work: string;
let tsa: TsaServer;

beforeAll(async () => {
  [env, tsa] = await Promise.all([freshDesk(), startTsa()]);
  work = tempDir();
}, 60_000);
afterAll(async () => {
  await tsa?.stop();
});

async function cli(args: string[]) {
  const r = await runCli(args, env);
  return { ...r, out: r.stdout.trim() };
}

describe('the TSA from the command line', () => {
  it('is set, shown and removed; pending stamps are listed and obtained; verify prints the stamp', async () => {
    expect((await cli(['settings', 'set', 'tsa', 'ftp://x'])).stderr).toMatch(/INVALID_ARGUMENT.*http or https/);
    expect((await cli(['settings', 'set', 'tsa', tsa.url])).out).toBe(`tsa: ${tsa.url}`);
    const anchors = join(work, 'tsa-root.pem');
    writeFileSync(anchors, tsa.pki.rootPem);
    expect((await cli(['settings', 'set', 'tsa-anchors', anchors])).out).toBe('tsa-anchors: 1 certificate(s)');
    expect((await cli(['settings', 'show'])).out).toContain(`tsa: ${tsa.url}\ntsa-anchors: 1`);

    const input = join(work, 'a.png');
    await sharp(photo('coffee.png')).resize(200).png().toFile(input);
    await tsa.stop();
    let signed;
    try {
      signed = await cli(['sign', input, '--json']);
    } finally {
      await tsa.start();
    }
    expect(signed.code).toBe(0);
    const [receipt] = JSON.parse(signed.stdout) as { recordId: string; output: string; c2pa: { timestamp?: string } }[];
    expect(receipt!.c2pa.timestamp).toBe('queued');
    expect((await cli(['timestamps', 'list'])).out).toContain(`${receipt!.recordId}  signed  0 attempt(s)`);
    expect((await cli(['verify', receipt!.output])).out).toMatch(/timestamp\s+absent\s+no time-stamp yet: the TSA did not answer at signing/);

    const stamp = await cli(['timestamps', 'stamp', '--all']);
    expect(stamp.code).toBe(0);
    expect(stamp.out).toMatch(new RegExp(`stamped ${receipt!.recordId} \\(signed\\) at \\d{4}-`));
    expect((await cli(['timestamps', 'list'])).out).toBe('no time-stamp pending');
    expect((await cli(['verify', receipt!.output])).out).toMatch(/timestamp\s+pass\s+time-stamped \S+ by Test TSA Unit \(obtained after signing, kept by the desk\)/);

    expect((await cli(['settings', 'unset', 'tsa'])).out).toBe('tsa: none');
    expect((await cli(['settings', 'get', '--json'])).out).toContain('"tsa": "none"');
  }, 180_000);
});
