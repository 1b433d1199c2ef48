// The picture desk's DeskApi over a real desk: bulk workflow actions item by item (each authorized on its own, one
// refusal not stopping the rest), the loupe's full pictures (the real bytes, only while they hash to what was signed,
// only for those who may have the file), who signed where, "waiting for me", each user's saved views, the four-eyes
// rule for reject and request-changes, and web mode's ZIP writer read back by Python's zipfile.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeZip, zipEntryNames } from '../core/api/zip.ts';
import { memorySession } from '../core/api/context.ts';
import type { DeskApi } from '../core/api/desk-api.ts';
import { DeskHost } from '../core/api/handlers.ts';
import type { Desk } from '../core/desk.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { addUsers, fakeSignedItem, testDesk } from './helpers/workflow-desk.ts';

let desk: Desk;
let host: DeskHost;
const as: Record<string, DeskApi> = {};

beforeAll(async () => {
  const t = await testDesk();
  desk = t.desk;
  await addUsers(desk, t.admin, { erin: ['editor'], chris: ['editor', 'chief'], vic: ['viewer'] });
  host = new DeskHost(desk, { kind: 'test' });
  for (const name of ['ada', 'erin', 'chris', 'vic']) {
    as[name] = host.api(memorySession());
    await as[name]!.login({ name, password: `${name}-tidal-lantern-42` });
  }
});
afterAll(async () => {
  await host.close();
  desk.close();
});

describe('bulk workflow actions', () => {
  it('approves item by item: the ones this user may approve move on, the others say why, and nothing stops', async () => {
    const mine = [fakeSignedItem(desk), fakeSignedItem(desk), fakeSignedItem(desk)].map((r) => r.id);
    // Erin submits two; Chris submits the third himself, so four-eyes refuses him that one.
    const submitted = await as.erin!.bulk({ action: 'submit', ids: mine.slice(0, 2), classification: 'public' });
    expect(submitted.results.map((r) => r.ok)).toEqual([true, true]);
    await as.chris!.submit({ id: mine[2]! });
    const missing = 'rec_00000000000000000000000000';
    const r = await as.chris!.bulk({ action: 'approve', ids: [mine[0]!, mine[2]!, missing, mine[1]!] });
    expect(r.results.map((x) => x.id)).toEqual([mine[0], mine[2], missing, mine[1]]);
    expect(r.results[0]).toMatchObject({ ok: true, state: 'in_review', stage: 'chief' });
    expect(r.results[1]).toMatchObject({ ok: false, code: 'NOT_PERMITTED', message: expect.stringMatching(/four-eyes/) });
    expect(r.results[2]).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(r.results[3]).toMatchObject({ ok: true, stage: 'chief' });
    // Each refusal is in the audit log as the single action's would be.
    expect(desk.workflow.status(null, mine[2]!).state).toBe('in_review');
  });

  it('is refused as a whole to a viewer, and item by item to an editor outside the stage', async () => {
    const id = fakeSignedItem(desk).id;
    await as.chris!.submit({ id });
    await as.erin!.approve({ id });
    await expect(as.vic!.bulk({ action: 'approve', ids: [id] })).rejects.toMatchObject({ code: 'NOT_PERMITTED' });
    const r = await as.erin!.bulk({ action: 'reject', ids: [id], comment: 'no' });
    expect(r.results[0]).toMatchObject({ ok: false, code: 'NOT_PERMITTED', message: expect.stringMatching(/role chief/) });
  });
});

describe('four-eyes for every review', () => {
  it('leaves a submitter Withdraw on their own item, and no Approve, Reject or Request changes', async () => {
    const id = fakeSignedItem(desk).id;
    await as.chris!.submit({ id });
    expect((await as.chris!.item({ id })).workflow.can).toEqual(['withdraw']);
    await expect(as.chris!.reject({ id, comment: 'mine anyway' })).rejects.toMatchObject({ code: 'NOT_PERMITTED', message: expect.stringMatching(/someone other than a submitter to reject/) });
    await expect(as.chris!.requestChanges({ id, comment: 'crop' })).rejects.toMatchObject({ code: 'NOT_PERMITTED' });
    // Another chief reviews it: the reviewer's buttons, and no Withdraw.
    const other = fakeSignedItem(desk).id;
    await as.erin!.submit({ id: other });
    expect((await as.chris!.item({ id: other })).workflow.can).toEqual(['approve', 'reject', 'request-changes']);
  });

  it("tells the screens what the caller's roles allow, from the policy", async () => {
    expect((await as.vic!.whoami({})).may).not.toContain('sign');
    expect((await as.vic!.whoami({})).may).toContain('items');
    expect((await as.erin!.whoami({})).may).toEqual(expect.arrayContaining(['sign', 'bulk', 'submit']));
    expect((await as.erin!.whoami({})).may).not.toContain('settingsSet');
    expect((await as.ada!.whoami({})).may).toContain('settingsSet');
  });
});

describe('the loupe, who signed, waiting for me', () => {
  let id: string;
  let input: string;
  let output: string;
  beforeAll(async () => {
    input = join(tempDir(), 'harbour.jpg');
    await sharp(photo('coffee.png')).jpeg({ quality: 90 }).toFile(input);
    const r = await as.erin!.sign({ paths: [input], outDir: tempDir() });
    id = r.receipts[0]!.recordId;
    output = r.receipts[0]!.output;
  });

  it('hands out the signed copy and the original as their own bytes, at their own size', async () => {
    const signed = await as.erin!.picture({ id, which: 'signed' });
    expect(signed).toMatchObject({ width: 600, height: 400, scaled: false });
    expect(Buffer.from(signed!.dataUrl.split(',')[1]!, 'base64').equals(readFileSync(output))).toBe(true);
    const original = await as.erin!.picture({ id, which: 'original' });
    expect(Buffer.from(original!.dataUrl.split(',')[1]!, 'base64').equals(readFileSync(input))).toBe(true);
  });

  it('shows no original once the file there is another one, and no unpublished picture to a viewer', async () => {
    writeFileSync(input, readFileSync(photo('coffee.png')));
    expect(await as.erin!.picture({ id, which: 'original' })).toBeNull();
    await expect(as.vic!.picture({ id, which: 'signed' })).rejects.toMatchObject({ code: 'NOT_PERMITTED' });
    await expect(as.vic!.picture({ id, which: 'original' })).rejects.toMatchObject({ code: 'NOT_PERMITTED' });
    expect(await as.vic!.picture({ id, which: 'published' })).toBeNull();
  });

  it('says who signed it, when and where, and where it stands with the hub', async () => {
    const d = await as.vic!.item({ id });
    expect(d.signedBy).toEqual({ by: 'erin', at: d.record.signedAt, desk: hostname() });
    expect(d.anchor).toEqual({ state: 'local', detail: 'this desk is not connected to a hub' });
    expect((await as.vic!.items({})).every((i) => i.anchor.state === 'local')).toBe(true);
  });

  it('lists under "waiting for me" exactly what the queue calls mine', async () => {
    for (const who of ['chris', 'erin', 'vic']) {
      const waiting = (await as[who]!.items({ waitingForMe: true })).map((i) => i.id).sort();
      const queue = (await as[who]!.queue({ scope: 'mine' })).map((q) => q.item.id).sort();
      expect(waiting, who).toEqual(queue);
    }
    expect((await as.chris!.items({ waitingForMe: true })).length).toBeGreaterThan(0);
  });
});

describe('saved views', () => {
  it('keeps each user their own, with a sensible start', async () => {
    expect((await as.erin!.viewPrefs({})).views[0]).toEqual({ name: 'Waiting for me', waitingForMe: true });
    await as.erin!.viewPrefsSet({ sort: 'name', views: [{ name: 'Harbour', search: 'harbour' }] });
    expect(await as.erin!.viewPrefs({})).toEqual({ sort: 'name', views: [{ name: 'Harbour', search: 'harbour' }] });
    expect((await as.chris!.viewPrefs({})).sort).toBe('date-desc');
    await expect(as.erin!.viewPrefsSet({ sort: 'name', views: [{ name: 'A' }, { name: 'a' }] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe("web mode's ZIP", () => {
  it('stores each file with its bytes and CRC, as Python reads it', async () => {
    const dir = tempDir();
    const files = ['a.jpg', 'b.jpg', 'a.jpg'].map((n, i) => {
      const p = join(dir, `${i}-${n}`);
      writeFileSync(p, Buffer.alloc(70_000 + i * 1000, i + 1));
      return p;
    });
    const names = zipEntryNames(['a.jpg', 'b.jpg', 'a.jpg']);
    expect(names).toEqual(['a.jpg', 'b.jpg', 'a (2).jpg']);
    expect(zipEntryNames(['../../etc/passwd', 'x\\..\\y.jpg', '.hidden'])).toEqual(['passwd', 'y.jpg', 'hidden']);
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const { createHash } = await import('node:crypto');
    const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
    await writeZip(out, files.map((path, i) => ({ name: names[i]!, path, sha256: sha(path), what: `file ${i}` })));
    const zip = join(dir, 'out.zip');
    writeFileSync(zip, Buffer.concat(chunks));
    const py = `import zipfile,sys,hashlib,json
z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None
print(json.dumps([[i.filename,hashlib.sha256(z.read(i)).hexdigest()] for i in z.infolist()]))`;
    const listed = JSON.parse(execFileSync('python3', ['-c', py, zip], { encoding: 'utf8' })) as [string, string][];
    expect(listed).toEqual(files.map((p, i) => [names[i], sha(p)]));
  });
});
