// Verification without an account in web mode, over real HTTP, on a desk with users: a visitor uploads and
// verifies with no login; the upload is gone once the answer is out (after a success, after a failure, after an
// aborted upload, and what a killed server left is swept at the next start); the report and the record link show
// what a verifier may see and nothing of the newsroom's work; abuse is bounded (uploads per minute, files held,
// verifications at once, file names that never reach the filesystem as paths).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type WebServer } from '../cli/web.ts';
import { sweepLeftovers, uploadName } from '../cli/web-uploads.ts';
import { auditEntries } from '../core/audit/log.ts';
import type { Desk } from '../core/desk.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { webClient } from './helpers/web-client.ts';
import { addUsers, testDesk } from './helpers/workflow-desk.ts';

describe('verification without an account', () => {
  let desk: Desk;
  let web: WebServer;
  let signed: { id: string; output: string };
  let jpeg: Uint8Array<ArrayBuffer>;

  beforeAll(async () => {
    const t = await testDesk();
    desk = t.desk;
    await addUsers(desk, t.admin, { erin: ['editor'], chris: ['editor', 'chief'] });
    const dir = tempDir();
    const src = join(dir, 'source-protected-name.jpg');
    await sharp(photo('chelsea.png')).jpeg({ quality: 92 }).toFile(src);
    const r = await desk.sign(src, { actor: { name: 'erin', roles: ['editor'] }, outDir: dir });
    signed = { id: r.recordId, output: r.output };
    jpeg = new Uint8Array(await sharp(r.output).jpeg({ quality: 80 }).toBuffer());
    desk.setAllowedRoots(t.admin, [dir]);
    const rendererDir = tempDir();
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Custody</title>');
    web = await startWebServer(desk, { rendererDir, anonymous: { uploadsPerMinute: 12, held: 3, verifying: 2 } });
  });
  afterAll(async () => {
    await web.close();
    desk.close();
  });

  it('verifies an upload with no login, names the signer as a verifier may see them, and deletes the upload', async () => {
    const v = webClient(web);
    const up = await v.upload('copy.jpg', jpeg);
    expect(up.status).toBe(200);
    expect(readdirSync(web.uploads.dir)).toHaveLength(1);
    const r = await v.call('verify', { path: up.body.result.path });
    expect(r.status).toBe(200);
    const report = r.body.result;
    expect(report.verdict).toBe('derived');
    expect(report.recordId).toBe(signed.id);
    // The signer as an organisation, not as a person; no path of the desk, not even the upload's own folder.
    expect(report.signer).toEqual({ user: null, desk: null });
    expect(report.signed).toMatchObject({ org: 'Test Newsroom', input: '', output: null });
    expect(report.file).toBe('copy.jpg');
    expect(JSON.stringify(report)).not.toContain(desk.home);
    expect(JSON.stringify(report)).not.toContain('source-protected-name');
    // Nor does what the page asks first, before anyone logs in.
    const info = await v.call('info', {});
    expect(info.status).toBe(200);
    expect(JSON.stringify(info.body)).not.toContain(desk.home);
    expect(readdirSync(web.uploads.dir)).toEqual([]);
    // The audit log says an anonymous verifier asked.
    const entry = [...auditEntries(desk.store)].filter((e) => e.action === 'record.verified').at(-1);
    expect(entry?.actor).toBe('anonymous');
  });

  it("keeps one visitor's upload from another without a login: neither listed, nor verified, nor deleted (found in review)", async () => {
    const a = webClient(web);
    const b = webClient(web);
    const path = (await a.upload('IMG_4521.JPG', jpeg)).body.result.path as string;
    // B probes with a path of its own: the refusal names no upload folder (it listed every visitor's before)
    const probe = await b.call('verify', { path: '/nonexistent/x.jpg' });
    expect(probe.body.error).toMatchObject({ code: 'PATH_NOT_ALLOWED' });
    expect(probe.body.error!.message).not.toContain(web.uploads.dir);
    // B names A's upload: refused, and A's upload is still there for A
    const guess = await b.call('verify', { path });
    expect(guess.body.error).toMatchObject({ code: 'PATH_NOT_ALLOWED' });
    expect(readdirSync(web.uploads.dir)).toHaveLength(1);
    const own = await a.call('verify', { path });
    expect(own.body.result).toMatchObject({ verdict: 'derived', recordId: signed.id });
    expect(readdirSync(web.uploads.dir)).toEqual([]);
  });

  it('tells a logged-in user who signed it', async () => {
    const erin = webClient(web);
    await erin.call('login', { name: 'erin', password: 'erin-tidal-lantern-42' });
    const path = (await erin.upload('copy.jpg', jpeg)).body.result.path as string;
    const report = (await erin.call('verify', { path })).body.result;
    expect(report.signer.user).toBe('erin');
    expect(report.signed.output).toBe(signed.output);
    expect(readdirSync(web.uploads.dir)).toEqual([]);
  });

  it('deletes the upload after a failed verification too, and refuses what is not media before keeping it', async () => {
    const v = webClient(web);
    // A JPEG's first bytes, then nothing: accepted as a JPEG upload, refused by the verification.
    const broken = jpeg.slice(0, 600);
    const path = (await v.upload('broken.jpg', broken)).body.result.path as string;
    const r = await v.call('verify', { path });
    expect(r.body.ok).toBe(false);
    expect(readdirSync(web.uploads.dir)).toEqual([]);
    const txt = await v.upload('notes.txt', 'root:x:0:0:root:/root:/bin/bash\n');
    expect(txt.status).toBe(415);
    expect(readdirSync(web.uploads.dir)).toEqual([]);
  });

  it('keeps nothing of an upload the browser abandons halfway', async () => {
    const url = new URL(web.url);
    await new Promise<void>((done) => {
      const req = request({ host: url.hostname, port: url.port, path: '/api/upload', method: 'POST', headers: {
        authorization: `Bearer ${web.token}`, 'content-type': 'application/octet-stream', 'content-length': String(jpeg.length), 'x-file-name': 'half.jpg',
      } });
      req.on('error', () => done());
      req.write(jpeg.subarray(0, 4096));
      setTimeout(() => {
        req.destroy();
        done();
      }, 300);
    });
    await expect.poll(() => readdirSync(web.uploads.dir), { timeout: 5_000, interval: 50 }).toEqual([]);
  });

  it("reads only the visitor's own uploads: not the allowed roots, and it cannot sign", async () => {
    const v = webClient(web);
    expect((await v.call('verify', { path: signed.output })).body.error?.code).toBe('PATH_NOT_ALLOWED');
    const path = (await v.upload('copy.jpg', jpeg)).body.result.path as string;
    expect((await v.call('sign', { paths: [path] })).status).toBe(401);
    await v.call('verify', { path });
  });

  it('writes a file name only as the last part of a name, cleaned', () => {
    expect(uploadName('../../etc/passwd')).toBe('passwd');
    expect(uploadName('..\\..\\Windows\\win.ini')).toBe('win.ini');
    expect(uploadName('..')).toBe('upload.bin');
    expect(uploadName('a\u0000b\nc:d.jpg')).toBe('a_b_c_d.jpg');
    expect(uploadName(`${'x'.repeat(500)}.jpg`).length).toBe(120);
  });

  it("shows the record a verdict names as a verifier may see it: facts, no workflow, the picture once published", async () => {
    const v = webClient(web);
    const before = (await v.call('publicRecord', { id: signed.id })).body.result;
    expect(before).toMatchObject({ id: signed.id, org: 'Test Newsroom', kind: 'image', publishedAt: null, thumbnail: null, anchor: { state: 'local' } });
    expect(Object.keys(before).sort()).toEqual(['anchor', 'desk', 'format', 'height', 'id', 'keyId', 'kind', 'org', 'publishedAt', 'signedAt', 'thumbnail', 'width']);
    // The newsroom's view of the same item stays closed.
    expect((await v.call('item', { id: signed.id })).status).toBe(401);
    expect((await v.call('thumbnail', { id: signed.id })).status).toBe(401);

    const erin = webClient(web);
    const chris = webClient(web);
    await erin.call('login', { name: 'erin', password: 'erin-tidal-lantern-42' });
    await chris.call('login', { name: 'chris', password: 'chris-tidal-lantern-42' });
    expect((await erin.call('publicRecord', { id: signed.id })).body.result.thumbnail).toMatch(/^data:image\/jpeg;base64,/);
    await erin.call('submit', { id: signed.id });
    await erin.call('comment', { id: signed.id, text: 'source asked to stay anonymous' });
    await chris.call('approve', { id: signed.id });
    await chris.call('approve', { id: signed.id });
    expect((await chris.call('publish', { id: signed.id })).status).toBe(200);

    const after = (await v.call('publicRecord', { id: signed.id })).body.result;
    expect(after.publishedAt).toMatch(/^\d{4}-/);
    expect(after.thumbnail).toMatch(/^data:image\/jpeg;base64,/);
    expect(JSON.stringify(after)).not.toMatch(/anonymous|chris|erin|source-protected/);
    // A published copy's report names no approver and no publisher to a visitor.
    const path = (await v.upload('copy.jpg', jpeg)).body.result.path as string;
    const report = (await v.call('verify', { path })).body.result;
    expect(report.publication).toMatchObject({ publishedBy: '', approvals: [], output: '' });
    expect((await v.call('publicRecord', { id: 'rec_00000000000000000000000000' })).body.error?.code).toBe('NOT_FOUND');
  });
  it('bounds what one source sends without a login: files held at once and uploads a minute', async () => {
    const v = webClient(web);
    const held = [];
    for (let i = 0; i < 3; i += 1) held.push((await v.upload(`c${i}.jpg`, jpeg)).body.result.path as string);
    const over = await v.upload('c3.jpg', jpeg);
    expect(over).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED' } } });
    for (const path of held) await v.call('verify', { path });
    expect(readdirSync(web.uploads.dir)).toEqual([]);
    // 12 a minute from one source: the others of this file and these, until the next is refused.
    const codes: number[] = [];
    for (let i = 0; i < 12 && codes.at(-1) !== 429; i += 1) {
      const u = await v.upload(`d${i}.jpg`, jpeg);
      codes.push(u.status);
      if (u.body.ok) await v.call('verify', { path: u.body.result.path });
    }
    expect(codes.at(-1)).toBe(429);
    expect(codes.slice(0, -1).every((c) => c === 200)).toBe(true);
    expect(readdirSync(web.uploads.dir)).toEqual([]);
  });
});

describe('uploads a killed server left behind', () => {
  it('are swept at the next start, and a running server keeps its own', async () => {
    const tmp = tempDir();
    // A process that has ended: its pid is free (or reused by something that is not a Custody server here).
    const child = spawn(process.execPath, ['-e', '0']);
    const deadPid = await new Promise<number>((done) => child.on('exit', () => done(child.pid!)));
    const dead = join(tmp, `custody-uploads-${deadPid}-abc123`);
    mkdirSync(join(dead, 'f00'), { recursive: true });
    writeFileSync(join(dead, 'f00', 'left.jpg'), 'x');
    const live = join(tmp, `custody-uploads-${process.pid}-def456`);
    mkdirSync(live);
    const other = join(tmp, 'something-else');
    mkdirSync(other);
    expect(sweepLeftovers(tmp)).toEqual([dead]);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(other)).toBe(true);
  });
});
