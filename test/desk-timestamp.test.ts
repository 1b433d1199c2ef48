// The desk's time-stamps (issue 14 §3) against a real RFC 3161 responder on 127.0.0.1: the TSA set through the
// DeskApi by an admin only; every signature stamped; a TSA that is down queues the stamp in the record's
// transaction and a later run obtains it with back-off; `verify` shows and checks the stamp, keeps a stamped file
// trusted after the signing certificate expired, and never lets a TSA root vouch for a content signer.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditEntries } from '../core/audit/log.ts';
import { memorySession } from '../core/api/context.ts';
import type { DeskApi } from '../core/api/desk-api.ts';
import { DeskHost } from '../core/api/handlers.ts';
import { readRawManifests } from '../core/c2pa/jumbf.ts';
import { tokenFromCose } from '../core/c2pa/timestamp-check.ts';
import type { Desk } from '../core/desk.ts';
import { photo } from './fixtures/photos.ts';
import { readWithC2paRs } from './helpers/c2pa-readers.ts';
import { tempDir } from './helpers/cli.ts';
import { approveAndPublish, tempDesk } from './helpers/desk.ts';
import { startTsa, type TsaServer } from './helpers/tsa.ts';
import { addUsers, testDesk } from './helpers/workflow-desk.ts';

const AFTER_EXPIRY = new Date('2029-06-01T00:00:00Z');
let tsa: TsaServer;
let dir: string;

beforeAll(async () => {
  tsa = await startTsa();
  dir = tempDir();
}, 60_000);
afterAll(async () => {
  await tsa?.stop();
});
afterEach(() => {
  vi.useRealTimers();
});

let n = 0;
async function png(from = 'coffee.png'): Promise<string> {
  const p = join(dir, `in-${++n}.png`);
  await sharp(photo(from)).resize(256).png().toFile(p);
  return p;
}

async function verifyAt(desk: Desk, file: string, when: Date) {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(when);
  try {
    return await desk.verify(file);
  } finally {
    vi.useRealTimers();
  }
}

const tsInfo = (r: Awaited<ReturnType<Desk['verify']>>) => r.checks.c2pa.timestamp as { status: string; source?: string; genTime?: string; tsa?: string; reason?: string; detail: string };

describe('the TSA setting', () => {
  it('is changed through the DeskApi by admins only, and audited', async () => {
    const t = await testDesk();
    await addUsers(t.desk, t.admin, { erin: ['editor'], vic: ['viewer'] });
    const host = new DeskHost(t.desk, { kind: 'test' });
    const ada: DeskApi = host.api(memorySession());
    const erin: DeskApi = host.api(memorySession());
    try {
      await ada.login({ name: 'ada', password: 'ada-tidal-lantern-42' });
      await erin.login({ name: 'erin', password: 'erin-tidal-lantern-42' });
      await expect(erin.settingsSet({ tsaUrl: tsa.url })).rejects.toMatchObject({ code: 'NOT_PERMITTED' });
      await expect(ada.settingsSet({ tsaUrl: 'ftp://tsa.example.com/' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(ada.settingsSet({ tsaAnchorsPem: 'not a certificate' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect((await ada.settingsSet({ tsaUrl: tsa.url, tsaAnchorsPem: tsa.pki.rootPem })).tsa).toEqual({ url: tsa.url, anchors: 1 });
      expect((await erin.settings({})).tsa).toEqual({ url: tsa.url, anchors: 1 });
      const changed = [...auditEntries(t.desk.store)].filter((e) => e.action === 'settings.changed').slice(-2);
      expect(changed).toMatchObject([{ actor: 'ada', subject: 'tsa.url', details: { value: tsa.url } }, { actor: 'ada', subject: 'tsa.anchors', details: { certificates: 1 } }]);
      expect((await erin.timestampsStamp({})).stamped).toEqual([]);
      const vic: DeskApi = host.api(memorySession());
      await vic.login({ name: 'vic', password: 'vic-tidal-lantern-42' });
      await expect(vic.timestampsStamp({})).rejects.toMatchObject({ code: 'NOT_PERMITTED' });
      await expect(host.api(memorySession()).timestampsStamp({})).rejects.toMatchObject({ code: 'NOT_AUTHENTICATED' });
      expect((await ada.settingsSet({ tsaUrl: null })).tsa).toEqual({ url: null, anchors: 1 });
    } finally {
      await host.close();
      t.desk.close();
    }
  });
});

describe('a desk with a TSA', () => {
  let desk: Desk;
  /** The vault-passphrase holder of this desk, then ada, the admin approveAndPublish adds. */
  const root = () => desk.bootstrapActor() ?? { name: 'ada', roles: ['admin' as const] };
  beforeAll(async () => {
    desk = await tempDesk('Daily Planet');
    desk.setTsa(root(), { url: tsa.url, anchorsPem: tsa.pki.rootPem });
  }, 60_000);
  afterAll(() => desk?.close());

  it('time-stamps the signature; verify shows genTime and TSA, and a stamped file stays trusted past the certificate', async () => {
    const r = await desk.sign(await png(), { actor: root() });
    expect(r.c2pa).toMatchObject({ status: 'embedded', timestamp: 'embedded' });
    const bytes = new Uint8Array(readFileSync(r.output));
    expect(tokenFromCose(readRawManifests(bytes, 'image/png')!.at(-1)!.signature)).not.toBeNull();
    expect(desk.timestamps(r.recordId)).toMatchObject([{ manifest: 'signed', source: 'manifest', token: expect.any(Uint8Array) }]);
    const now = await desk.verify(r.output);
    expect(now.verdict).toBe('authentic');
    expect(now.checks.c2pa.status).toBe('pass');
    expect(tsInfo(now)).toMatchObject({ status: 'pass', source: 'manifest', tsa: 'Test TSA Unit' });
    expect(Math.abs(Date.parse(tsInfo(now).genTime!) - Date.parse(r.signedAt))).toBeLessThan(120_000);
    expect(now.checks.c2pa.detail).toMatch(/time-stamped \S+ by Test TSA Unit/);
    // c2pa-rs, for any verifier that trusts the org root and the TSA root
    expect(await readWithC2paRs(bytes, 'image/png', desk.orgRootPem() + tsa.pki.rootPem)).toEqual({ valid: true, failures: [] });

    const later = await verifyAt(desk, r.output, AFTER_EXPIRY);
    expect(later.checks.c2pa).toMatchObject({ status: 'pass', trusted: true });
    expect(later.verdict).toBe('authentic');
  });

  it('time-stamps the publication manifest too: the file that goes out keeps validating after the certificate', async () => {
    const r = await desk.sign(await png('motorcycle_left.png'), { actor: root() });
    const { receipt } = await approveAndPublish(desk, r.recordId, join(dir, 'published'));
    const bytes = new Uint8Array(readFileSync(receipt.output));
    expect(tokenFromCose(readRawManifests(bytes, 'image/png')!.at(-1)!.signature)).not.toBeNull();
    expect(desk.timestamps(r.recordId).map((t) => [t.manifest, t.source])).toEqual([['published', 'manifest'], ['signed', 'manifest']]);
    expect(tsInfo(await desk.verify(receipt.output))).toMatchObject({ status: 'pass', source: 'manifest' });
    expect((await verifyAt(desk, receipt.output, AFTER_EXPIRY)).checks.c2pa).toMatchObject({ status: 'pass', trusted: true });
  });

  it('without a TSA, a signature is not stamped and the file stops being trusted once the certificate expired', async () => {
    desk.setTsa(root(), { url: null });
    try {
      const r = await desk.sign(await png('chelsea.png'), { actor: root() });
      expect(r.c2pa.timestamp).toBeUndefined();
      expect(tsInfo(await desk.verify(r.output))).toMatchObject({ status: 'absent', reason: 'TSA_ABSENT' });
      const later = await verifyAt(desk, r.output, AFTER_EXPIRY);
      expect(later.checks.c2pa.status).toBe('fail');
      expect(later.checks.c2pa.validationCodes).toContain('signingCredential.expired');
    } finally {
      desk.setTsa(root(), { url: tsa.url });
    }
  });

  it('signs while the TSA is down, queues the stamp, backs off, and a later run stamps the record', async () => {
    await tsa.stop();
    let r;
    try {
      r = await desk.sign(await png('astronaut.png'), { actor: root() });
      expect(r.c2pa).toMatchObject({ status: 'embedded', timestamp: 'queued' });
      expect(desk.pendingTimestamps()).toMatchObject([{ recordId: r.recordId, attempts: 0, lastError: expect.stringMatching(/no answer/) }]);
      expect([...auditEntries(desk.store)].filter((e) => e.action === 'record.signed').at(-1)?.details).toMatchObject({ timestamp: 'queued' });
      expect(tsInfo(await desk.verify(r.output))).toMatchObject({ status: 'absent', detail: expect.stringMatching(/did not answer at signing/) });
      const down = await desk.stampPending(root());
      expect(down.failed).toHaveLength(1);
      expect(Date.parse(down.failed[0]!.nextAttemptAt)).toBeGreaterThan(Date.now() + 20_000);
      expect(await desk.stampPending(root())).toMatchObject({ stamped: [], failed: [], waiting: 1 }); // not due yet
    } finally {
      await tsa.start();
    }
    expect(await desk.stampPending(root())).toMatchObject({ stamped: [], waiting: 1 }); // still backing off
    const run = await desk.stampPending(root(), { all: true });
    expect(run.stamped).toMatchObject([{ recordId: r.recordId, manifest: 'signed' }]);
    expect(desk.pendingTimestamps()).toEqual([]);
    expect([...auditEntries(desk.store)].filter((e) => e.action === 'record.timestamped').at(-1)).toMatchObject({ subject: r.recordId });
    // the file is what it was (its manifest cannot change); the stamp lives with the record
    expect(tokenFromCose(readRawManifests(new Uint8Array(readFileSync(r.output)), 'image/png')!.at(-1)!.signature)).toBeNull();
    expect(tsInfo(await desk.verify(r.output))).toMatchObject({ status: 'pass', source: 'desk', tsa: 'Test TSA Unit' });
  });

  it('catches up on due stamps by itself at the next signature the TSA answers', async () => {
    await tsa.stop();
    let missed;
    try {
      missed = await desk.sign(await png('camera.png'), { actor: root() });
    } finally {
      await tsa.start();
    }
    expect(missed.c2pa.timestamp).toBe('queued');
    expect(desk.pendingTimestamps().map((p) => p.recordId)).toEqual([missed.recordId]);
    const next = await desk.sign(await png('page.png'), { actor: root() });
    expect(next.c2pa.timestamp).toBe('embedded');
    expect(desk.pendingTimestamps()).toEqual([]);
    expect(desk.timestamps(missed.recordId)).toMatchObject([{ source: 'desk', token: expect.any(Uint8Array) }]);
  });

  it('does not let a TSA root vouch for a content signer: a manifest chaining only to a TSA anchor is not trusted', async () => {
    const other = await tempDesk('Rogue Press');
    try {
      const r = await other.sign(await png('rocket.jpg'), { actor: other.bootstrapActor()! });
      expect((await desk.verify(r.output)).checks.c2pa).toMatchObject({ status: 'fail', trusted: false });
      // an admin who puts that org's root among the TSA roots has not made it a content-signing root
      const rogueRoot = other.orgRootPem().match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/)![0];
      desk.setTsa(root(), { anchorsPem: tsa.pki.rootPem + rogueRoot });
      expect((await desk.verify(r.output)).checks.c2pa).toMatchObject({ status: 'fail', trusted: false });
    } finally {
      desk.setTsa(root(), { anchorsPem: tsa.pki.rootPem });
      other.close();
    }
  });
});
