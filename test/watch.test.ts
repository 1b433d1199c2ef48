// Watched folders, in process with a real desk and real photos: what lands where, what is ignored, slow writers,
// subfolders, renames, bad files, duplicates and taken names.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Desk } from '../core/desk.ts';
import { sql } from '../core/store/db.ts';
import type { WatchEngine } from '../core/watch/engine.ts';
import type { WatchFolderInput } from '../core/watch/folders.ts';
import { listJobs } from '../core/watch/jobs.ts';
import { writeBadInputs } from './fixtures/bad-inputs.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { addFolder, engineFor, expectExactlyOnce, filesUnder, newDesk, sha256, uniqueJpeg, type Scenario } from './watch-helpers.ts';

let desk: Desk;
const running: WatchEngine[] = [];

beforeAll(async () => {
  desk = await newDesk();
});
afterEach(async () => {
  for (const e of running.splice(0)) await e.stop();
});
afterAll(() => desk.close());

async function start(input: Partial<WatchFolderInput> = {}): Promise<Scenario> {
  const { folder, inDir, outDir } = addFolder(desk, input);
  const s = engineFor(desk, folder, inDir, outDir);
  running.push(s.engine);
  await s.engine.start([folder.id]);
  return s;
}

/** Writes a file elsewhere and renames it into place, as a finished download or a Finder move does. */
function dropAtomically(dir: string, rel: string, bytes: Uint8Array): void {
  const tmp = join(tempDir('custody-drop-'), 'f');
  writeFileSync(tmp, bytes);
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  renameSync(tmp, join(dir, rel));
}

describe('a watched folder', () => {
  it('signs a dropped photo: the signed copy at OUT/<path>, the original byte for byte in originals/, a receipt beside, the hot folder empty', async () => {
    const s = await start();
    const bytes = await uniqueJpeg();
    writeFileSync(join(s.inDir, 'photo.jpg'), bytes);
    const [o] = await s.waitFor(1);
    expect(o).toMatchObject({
      status: 'signed',
      path: 'photo.jpg',
      output: join(s.outDir, 'photo.jpg'),
      original: join(s.outDir, 'originals', 'photo.jpg'),
      note: join(s.outDir, 'photo.jpg.receipt.json'),
      sha256: sha256(bytes),
      error: null,
    });
    expect(readFileSync(o!.original!).equals(bytes)).toBe(true);
    const report = await desk.verify(o!.output!);
    expect(report.verdict).toBe('authentic');
    expect(report.recordId).toBe(o!.recordId);
    const receipt = JSON.parse(readFileSync(o!.note!, 'utf8'));
    expect(receipt).toMatchObject({ recordId: o!.recordId, sha256: sha256(bytes), output: o!.output, original: o!.original, relativePath: 'photo.jpg' });
    expect(receipt.outputSha256).toBe(sha256(readFileSync(o!.output!)));
    expect(receipt.watermark.status).toBe('embedded');
    expect(listJobs(desk.store, { folderId: s.folder.id }).map((j) => j.state)).toEqual(['done']);
    const audit = desk.store.all<{ actor: string }>(sql`SELECT actor FROM audit_log WHERE action = 'record.signed' AND subject = ${o!.recordId}`);
    // Signed as whoever configured the folder (the vault-passphrase holder here: a desk without users).
    expect(audit).toEqual([{ actor: 'desk' }]);
    expectExactlyOnce(desk, s, new Map([['photo.jpg', bytes]]));
  });

  it('submits each signed file into the folder’s workflow template, once, as whoever configured the folder', async () => {
    const s = await start({ options: { workflowTemplate: 'news', classification: 'confidential', flags: ['trademark'] } });
    writeFileSync(join(s.inDir, 'wire.jpg'), await uniqueJpeg());
    const [o] = await s.waitFor(1);
    expect(o!.status).toBe('signed');
    const status = desk.workflow.status(null, o!.recordId!);
    // Confidential and trademark-flagged: the news template routes it through legal after the desk.
    expect(status).toMatchObject({ state: 'in_review', stage: 'desk', template: 'news', classification: 'confidential', flags: ['trademark'], submittedBy: 'desk' });
    const submits = desk.store.all<{ actor: string }>(sql`SELECT actor FROM audit_log WHERE action = 'workflow.submit' AND subject = ${o!.recordId}`);
    // The folder submits as whoever configured it: here the vault-passphrase holder of a desk without users.
    expect(submits).toEqual([{ actor: s.folder.createdBy }]);
    expect(s.folder.createdBy).toBe('desk');
  });

  it('refuses a folder whose template does not exist, and sets a file aside, unsigned, when submitting is refused', async () => {
    expect(() => addFolder(desk, { options: { workflowTemplate: 'no-such-template' } })).toThrow(/workflow template .*no-such-template/);
    const s = await start({ options: { workflowTemplate: 'news', flags: ['not-a-workflow-flag'] } });
    writeFileSync(join(s.inDir, 'lost.jpg'), await uniqueJpeg());
    const [o] = await s.waitFor(1);
    expect(o).toMatchObject({ status: 'rejected', recordId: null, error: { code: 'WORKFLOW_TRANSITION_REFUSED' } });
    expect(readFileSync(join(s.outDir, 'rejected', 'lost.jpg.error.txt'), 'utf8')).toMatch(/WORKFLOW_TRANSITION_REFUSED.*not-a-workflow-flag/s);
    expect(desk.items().some((r) => r.inputName === 'lost.jpg')).toBe(false);
  });

  it('leaves dot-files, partial downloads, system files and non-media files (sidecars, captions, documents) alone', async () => {
    const s = await start();
    const litter = ['.DS_Store', 'Thumbs.db', 'desktop.ini', 'photo.jpg.part', 'photo.jpg~', 'export.tmp', 'movie.crdownload', '._photo.jpg', '.hidden/inside.jpg',
      'real.xmp', 'caption.txt', 'Brief.PDF', 'card/shotlist.csv', 'card/CLIP0001.THM'];
    const jpeg = await uniqueJpeg();
    for (const f of litter) {
      mkdirSync(join(s.inDir, f, '..'), { recursive: true });
      writeFileSync(join(s.inDir, f), jpeg);
    }
    writeFileSync(join(s.inDir, 'real.jpg'), await uniqueJpeg());
    await s.waitFor(1);
    await s.engine.whenIdle();
    expect(s.outcomes.map((o) => o.path)).toEqual(['real.jpg']);
    expect(filesUnder(s.inDir)).toEqual([...litter].sort());
    expect(listJobs(desk.store, { folderId: s.folder.id })).toHaveLength(1);
  });

  it('mirrors subfolders, and takes files present at start, written later, renamed into the folder, or named like its own staging folders', async () => {
    const { folder, inDir, outDir } = addFolder(desk);
    const dropped = new Map<string, Buffer>();
    dropped.set('a/present.jpg', await uniqueJpeg());
    mkdirSync(join(inDir, 'a'));
    writeFileSync(join(inDir, 'a/present.jpg'), dropped.get('a/present.jpg')!);
    const s = engineFor(desk, folder, inDir, outDir);
    running.push(s.engine);
    await s.engine.start([folder.id]);

    dropped.set('a/b/c/deep.jpg', await uniqueJpeg());
    mkdirSync(join(inDir, 'a/b/c'), { recursive: true });
    writeFileSync(join(inDir, 'a/b/c/deep.jpg'), dropped.get('a/b/c/deep.jpg')!);
    dropped.set('moved/in.jpg', await uniqueJpeg());
    dropAtomically(inDir, 'moved/in.jpg', dropped.get('moved/in.jpg')!);
    // Names the queue uses inside its staging folder are ordinary names here.
    dropped.set('signed', await uniqueJpeg());
    writeFileSync(join(inDir, 'signed'), dropped.get('signed')!);

    const outcomes = await s.waitFor(4);
    expect(outcomes.map((o) => [o.status, o.path, o.output]).sort()).toEqual(
      [...dropped.keys()].sort().map((rel) => ['signed', rel, join(outDir, ...rel.split('/'))]),
    );
    for (const [rel, bytes] of dropped) expect(readFileSync(join(outDir, 'originals', rel)).equals(bytes)).toBe(true);
    expectExactlyOnce(desk, s, dropped);
  });

  it('takes a file written slowly in chunks over 2 s once, and only when complete', async () => {
    const s = await start({ stableMs: 1000 });
    const bytes = await uniqueJpeg('astronaut.png');
    const fd = openSync(join(s.inDir, 'slow.jpg'), 'w');
    const chunks = 10;
    const size = Math.ceil(bytes.length / chunks);
    for (let i = 0; i < chunks; i++) {
      writeSync(fd, bytes, i * size, Math.min(size, bytes.length - i * size));
      await new Promise((r) => setTimeout(r, 220));
    }
    closeSync(fd);
    const [o] = await s.waitFor(1);
    await s.engine.whenIdle();
    expect(s.outcomes).toHaveLength(1);
    expect(o).toMatchObject({ status: 'signed', path: 'slow.jpg', sha256: sha256(bytes) });
    expect(listJobs(desk.store, { folderId: s.folder.id })).toHaveLength(1);
    expectExactlyOnce(desk, s, new Map([['slow.jpg', bytes]]));
  });

  it('moves each bad file to rejected/<path> with <name>.error.txt (code, sentence, time), and keeps going', async () => {
    const s = await start();
    const made = tempDir('custody-bad-');
    const table = writeBadInputs(made, photo('rocket.jpg'), photo('no_time_for_that_tiny.gif')).filter((b) => existsSync(b.file));
    const dropped = new Map<string, Buffer>();
    for (const b of table) {
      const rel = `card/${b.file.split('/').pop()!}`;
      dropped.set(rel, readFileSync(b.file));
      dropAtomically(s.inDir, rel, readFileSync(b.file));
    }
    const good = await uniqueJpeg();
    dropped.set('card/good.jpg', good);
    dropAtomically(s.inDir, 'card/good.jpg', good);

    const outcomes = await s.waitFor(table.length + 1);
    for (const b of table) {
      const name = b.file.split('/').pop()!;
      const o = outcomes.find((x) => x.path === `card/${name}`);
      expect(o, name).toMatchObject({ status: 'rejected', original: join(s.outDir, 'rejected', 'card', name), note: join(s.outDir, 'rejected', 'card', `${name}.error.txt`) });
      expect(o!.error!.code, b.name).toBe(b.code);
      expect(readFileSync(o!.original!).equals(readFileSync(b.file)), b.name).toBe(true);
      const note = readFileSync(o!.note!, 'utf8').split('\n');
      expect(note[0]).toBe(`code: ${b.code}`);
      expect(note[1]).toMatch(/^error: expected .+, (got|but) /);
      expect(Date.parse(note[2]!.replace(/^time: /, ''))).toBeGreaterThan(Date.now() - 120_000);
    }
    expect(outcomes.find((o) => o.path === 'card/good.jpg')?.status).toBe('signed');
    expectExactlyOnce(desk, s, dropped, new Set([...dropped.keys()].filter((k) => k !== 'card/good.jpg')));
  });

  it('signs bytes already signed elsewhere on the desk (no one is at a hot folder to ask), and still sets a second copy in the folder aside', async () => {
    const a = await uniqueJpeg();
    const elsewhere = join(tempDir('custody-sign-screen-'), 'a.jpg');
    writeFileSync(elsewhere, a);
    const first = await desk.sign(elsewhere, { actor: desk.bootstrapActor()!, outDir: tempDir() });
    // Signing the same bytes by hand is a question (ALREADY_SIGNED); the folder does not ask it.
    await expect(desk.sign(elsewhere, { actor: desk.bootstrapActor()!, outDir: tempDir() })).rejects.toMatchObject({ code: 'ALREADY_SIGNED' });
    const s = await start();
    writeFileSync(join(s.inDir, 'a.jpg'), a);
    const [signed] = await s.waitFor(1);
    expect(signed).toMatchObject({ status: 'signed' });
    expect(signed!.recordId).not.toBe(first.recordId);
    dropAtomically(s.inDir, 'again/a.jpg', a);
    const [, dup] = await s.waitFor(2);
    expect(dup).toMatchObject({ status: 'duplicate', recordId: null, error: { code: 'ALREADY_SIGNED' } });
    expect(desk.store.all(sql`SELECT id FROM records WHERE sha256 = ${sha256(a)}`)).toHaveLength(2);
  });

  it('sets a second copy of the same bytes aside as ALREADY_SIGNED, and signs a new file under a used name as name-2', async () => {
    const s = await start();
    const a = await uniqueJpeg();
    writeFileSync(join(s.inDir, 'a.jpg'), a);
    await s.waitFor(1);
    const b = await uniqueJpeg();
    dropAtomically(s.inDir, 'a.jpg', b);
    dropAtomically(s.inDir, 'again/a.jpg', a);
    const outcomes = await s.waitFor(3);

    const dup = outcomes.find((o) => o.path === 'again/a.jpg')!;
    expect(dup).toMatchObject({ status: 'duplicate', recordId: null, original: join(s.outDir, 'rejected', 'again', 'a.jpg') });
    expect(dup.error!.code).toBe('ALREADY_SIGNED');
    expect(dup.error!.message).toContain(`signed as record ${outcomes[0]!.recordId}`);
    expect(readFileSync(join(s.outDir, 'rejected/again/a.jpg.error.txt'), 'utf8')).toMatch(/^code: ALREADY_SIGNED\n/);
    const second = outcomes.find((o) => o.path === 'a.jpg' && o.sha256 === sha256(b))!;
    expect(second).toMatchObject({ status: 'signed', output: join(s.outDir, 'a-2.jpg'), original: join(s.outDir, 'originals', 'a-2.jpg') });
    expect(readFileSync(join(s.outDir, 'originals/a.jpg')).equals(a)).toBe(true);
    expect(readFileSync(join(s.outDir, 'originals/a-2.jpg')).equals(b)).toBe(true);
    const first = new Map([['a.jpg', a]]);
    first.set('b', b);
    first.set('again/a.jpg', a);
    expectExactlyOnce(desk, s, first);
  });

  it('never overwrites a file that is already in OUT', async () => {
    const { folder, inDir, outDir } = addFolder(desk);
    mkdirSync(join(outDir, 'originals'), { recursive: true });
    writeFileSync(join(outDir, 'photo.jpg'), 'an editor’s file');
    writeFileSync(join(outDir, 'originals/photo.jpg'), 'another one');
    writeFileSync(join(outDir, 'other.jpg.receipt.json'), '{}');
    const s = engineFor(desk, folder, inDir, outDir);
    running.push(s.engine);
    await s.engine.start([folder.id]);
    writeFileSync(join(inDir, 'photo.jpg'), await uniqueJpeg());
    writeFileSync(join(inDir, 'other.jpg'), await uniqueJpeg());
    const outcomes = await s.waitFor(2);
    const byPath = Object.fromEntries(outcomes.map((o) => [o.path, o]));
    expect(byPath['photo.jpg']).toMatchObject({ output: join(outDir, 'photo-2.jpg'), original: join(outDir, 'originals', 'photo-2.jpg') });
    expect(byPath['other.jpg']).toMatchObject({ output: join(outDir, 'other-2.jpg'), note: join(outDir, 'other-2.jpg.receipt.json') });
    expect(readFileSync(join(outDir, 'photo.jpg'), 'utf8')).toBe('an editor’s file');
    expect(readFileSync(join(outDir, 'originals/photo.jpg'), 'utf8')).toBe('another one');
    expect(readFileSync(join(outDir, 'other.jpg.receipt.json'), 'utf8')).toBe('{}');
  });

  it('places files whose names are near 255 bytes under shorter names: signed or rejected with the note, never retried', async () => {
    const s = await start();
    const { folder, inDir, outDir } = s;
    const good = `${'g'.repeat(246)}.jpg`;
    const bad = `${'b'.repeat(246)}.jpg`;
    const dropped = new Map([[good, await uniqueJpeg()], [bad, Buffer.from('not a photo at all')]]);
    for (const [rel, b] of dropped) writeFileSync(join(inDir, rel), b);
    const outs = await s.waitFor(2, 30_000);
    await s.engine.stop();

    expect(s.retries).toEqual([]);
    const signed = outs.find((o) => o.path === good)!;
    const rejected = outs.find((o) => o.path === bad)!;
    expect(signed).toMatchObject({ status: 'signed', output: expect.stringMatching(/\/g{100,}~[0-9a-f]{8}\.jpg$/) });
    expect(signed.original).toBe(join(outDir, 'originals', basename(signed.output!)));
    expect(rejected).toMatchObject({ status: 'rejected', original: expect.stringMatching(/\/rejected\/b{100,}~[0-9a-f]{8}\.jpg$/) });
    expect(rejected.note).toBe(`${rejected.original}.error.txt`);
    expect(Buffer.byteLength(basename(signed.output!))).toBeLessThanOrEqual(215);
    // The receipt and the note still name the file as it was dropped.
    expect(JSON.parse(readFileSync(signed.note!, 'utf8'))).toMatchObject({ relativePath: good, sha256: sha256(dropped.get(good)!) });
    expect(readFileSync(rejected.note!, 'utf8')).toContain(`file: ${bad}\n`);
    expect(listJobs(desk.store, { folderId: folder.id }).map((j) => [j.state, j.attempts])).toEqual(expect.arrayContaining([['done', 0], ['rejected', 0]]));
    expect(filesUnder(outDir).every((f) => f.split('/').every((p) => Buffer.byteLength(p) <= 255))).toBe(true);
    expectExactlyOnce(desk, s, dropped, new Set([bad]));
  });

  it('runs several folders in one engine, each into its own OUT', async () => {
    const one = addFolder(desk);
    const two = addFolder(desk, { concurrency: 2 });
    const s = engineFor(desk, one.folder, one.inDir, one.outDir);
    running.push(s.engine);
    await s.engine.start([one.folder.id, two.folder.id]);
    expect(s.engine.folders.map((f) => f.id).sort()).toEqual([one.folder.id, two.folder.id].sort());
    writeFileSync(join(one.inDir, 'x.jpg'), await uniqueJpeg());
    writeFileSync(join(two.inDir, 'y.jpg'), await uniqueJpeg());
    writeFileSync(join(two.inDir, 'z.jpg'), await uniqueJpeg());
    const outcomes = await s.waitFor(3);
    expect(outcomes.map((o) => o.output).sort()).toEqual([join(one.outDir, 'x.jpg'), join(two.outDir, 'y.jpg'), join(two.outDir, 'z.jpg')].sort());
  });
});
