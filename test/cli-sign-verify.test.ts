// The CLI contract of the foundation issue, end to end through the real `custody` command.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeBadInputs } from './fixtures/bad-inputs.ts';
import { photo } from './fixtures/photos.ts';
import { freshDesk, runCli, tempDir } from './helpers/cli.ts';
import { attack, loadRaster, pngOf } from '../bench/watermark-attacks.ts';

interface Receipt {
  recordId: string;
  input: string;
  output: string;
  sha256: string;
  outputSha256: string;
  phash: string;
  payload: string | null;
  signature: string;
  publicKey: string;
  signedAt: string;
}

let env: Record<string, string>;
let work: string;

beforeAll(async () => {
  env = await freshDesk();
  work = tempDir();
});

async function signJson(files: string[], extra: string[] = []): Promise<Receipt[]> {
  const r = await runCli(['sign', ...files, '--json', ...extra], env);
  expect(r.stderr.match(/^error .*/m)?.[0] ?? '').toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Receipt[];
}

async function verifyJson(file: string): Promise<{ code: number; report: { verdict: string; confidence: number; recordId: string | null; checks: Record<string, { status: string; [k: string]: unknown }> } }> {
  const r = await runCli(['verify', file, '--json'], env);
  return { code: r.code, report: JSON.parse(r.stdout) };
}

describe('init', () => {
  it('refuses to create a second desk in the same place', async () => {
    const r = await runCli(['init', '--org', 'Again'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error ALREADY_INITIALIZED: /);
  });

  it('refuses to sign with the wrong passphrase', async () => {
    const src = join(work, 'pw.png');
    await sharp(photo('coins.png')).toFile(src);
    const r = await runCli(['sign', src], { ...env, CUSTODY_PASSPHRASE: 'wrong' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error KEY_LOCKED: /);
    expect(readdirSync(work).filter((f) => f.includes('.signed'))).toEqual([]);
  });
});

describe('sign → verify in every format', () => {
  it.each([
    ['jpeg', 'jpg', (s: Sharp) => s.jpeg({ quality: 92 })],
    ['png', 'png', (s: Sharp) => s.png()],
    ['webp', 'webp', (s: Sharp) => s.webp({ quality: 90 })],
    ['lossless webp', 'webp', (s: Sharp) => s.webp({ lossless: true })],
    ['tiff', 'tif', (s: Sharp) => s.tiff()],
  ])('%s: the signed file verifies as authentic, and so does the original', async (name, ext, enc) => {
    const src = join(work, `chelsea-${name.replace(' ', '-')}.${ext}`);
    await enc(sharp(photo('chelsea.png'))).toFile(src);
    const [receipt] = await signJson([src]);
    expect(receipt!.output).toBe(join(work, `chelsea-${name.replace(' ', '-')}.signed.${ext}`));
    expect(receipt!.payload).toMatch(/^[0-9a-f]{32}$/);
    expect(receipt!.sha256).not.toBe(receipt!.outputSha256);

    const signed = await verifyJson(receipt!.output);
    expect(signed.code).toBe(0);
    expect(signed.report.verdict).toBe('authentic');
    expect(signed.report.recordId).toBe(receipt!.recordId);
    expect(signed.report.checks.sha256!.status).toBe('pass');
    expect(signed.report.checks.signature!.status).toBe('pass');
    expect(signed.report.checks.watermark!.status).toBe('pass');

    // the unsigned file it was signed from is the record's original, never "the signed file" (issue 21)
    const original = await verifyJson(src);
    expect(original.report.verdict).toBe('original');
    expect(original.code).toBe(0);
    expect(original.report.checks.sha256!.matched).toBe('original');
  });

  it('keeps EXIF, ICC profile and orientation, and never touches the input', async () => {
    const src = join(work, 'meta.jpg');
    await sharp(photo('astronaut.png'))
      .withExif({ IFD0: { Artist: 'Jimmy Olsen', Copyright: 'Daily Planet' } })
      .withIccProfile('p3')
      .jpeg({ quality: 90 })
      .toFile(src);
    // sharp writes orientation through withMetadata; set it on a copy so that both paths are covered.
    const oriented = join(work, 'oriented.jpg');
    await sharp(src).keepMetadata().withMetadata({ orientation: 6 }).toFile(oriented);
    const before = await sharp(oriented).metadata();
    const { createHash } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    const inputHash = createHash('sha256').update(readFileSync(oriented)).digest('hex');

    const [receipt] = await signJson([oriented]);
    const after = await sharp(receipt!.output).metadata();
    expect(after.orientation).toBe(6);
    expect(after.exif?.includes(Buffer.from('Jimmy Olsen'))).toBe(true);
    expect(after.icc).toEqual(before.icc);
    expect(after.width).toBe(before.width);
    expect(createHash('sha256').update(readFileSync(oriented)).digest('hex')).toBe(inputHash);
  });

  it.each([['png'], ['webp']])('keeps EXIF and ICC in %s', async (fmt) => {
    const src = join(work, `meta.${fmt}`);
    const base = sharp(photo('coffee.png')).withExif({ IFD0: { Artist: 'Lois Lane' } }).withIccProfile('p3');
    await (fmt === 'png' ? base.png() : base.webp({ quality: 90 })).toFile(src);
    const before = await sharp(src).metadata();
    const [receipt] = await signJson([src]);
    const after = await sharp(receipt!.output).metadata();
    expect(after.exif?.includes(Buffer.from('Lois Lane'))).toBe(true);
    expect(after.icc).toEqual(before.icc);
  });

  it('refuses a file it signed before with exit 3, and with --again signs it without overwriting the earlier copy', async () => {
    const src = join(work, 'twice.png');
    await sharp(photo('camera.png')).toFile(src);
    const [a] = await signJson([src]);
    const refused = await runCli(['sign', src], env);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^error ALREADY_SIGNED: .*twice\\.png: expected a file this desk has not signed yet, got the same bytes \\(SHA-256 [0-9a-f]{16}…\\) as record ${a!.recordId}, signed ${a!.signedAt} by desk; .*\\(custody sign --again signs it as a new record\\)$`)),
    ]);
    const [b] = await signJson([src], ['--again']);
    expect(a!.output).toBe(join(work, 'twice.signed.png'));
    expect(b!.output).toBe(join(work, 'twice.signed-2.png'));
    expect(a!.recordId).not.toBe(b!.recordId);
  });

  it('in a batch, signs the new files and says which were signed before (exit 3; 2 when a file could not be signed)', async () => {
    const dir = tempDir();
    const known = join(dir, 'known.png');
    const fresh = join(dir, 'fresh.png');
    await sharp(photo('astronaut.png')).resize(400).toFile(known);
    await sharp(photo('hubble_deep_field.jpg')).resize(400).png().toFile(fresh);
    await signJson([known]);
    const r = await runCli(['sign', known, fresh, '--json'], env);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/error ALREADY_SIGNED: .*known\.png: /);
    expect((JSON.parse(r.stdout) as Receipt[]).map((x) => x.input)).toEqual([fresh]);
    const bad = join(dir, 'bad.jpg');
    writeFileSync(bad, 'not an image');
    expect((await runCli(['sign', known, bad], env)).code).toBe(2);
  });
});

describe('verdicts', () => {
  it('a JPEG-70 re-encode of a signed file is derived; an unrelated photo is unknown', async () => {
    const src = join(work, 'hubble.png');
    await sharp(photo('hubble_deep_field.jpg')).toFile(src);
    const [receipt] = await signJson([src], ['--out', join(work, 'out')]);
    const copy = join(work, 'hubble-70.jpg');
    await sharp(receipt!.output).jpeg({ quality: 70 }).toFile(copy);

    const derived = await verifyJson(copy);
    expect(derived.code).toBe(0);
    expect(derived.report.verdict).toBe('derived');
    expect(derived.report.recordId).toBe(receipt!.recordId);
    expect(derived.report.checks.sha256!.status).toBe('fail');
    expect(derived.report.checks.phash!.status).toBe('pass');
    expect(derived.report.confidence).toBeGreaterThan(0.4);
    expect(derived.report.confidence).toBeLessThan(1);

    const unrelated = await verifyJson(photo('motorcycle_left.png'));
    expect(unrelated.code).toBe(1);
    expect(unrelated.report.verdict).toBe('unknown');
    expect(unrelated.report.recordId).toBeNull();
    // a photo that looks like no record is not searched deeper
    expect(unrelated.report.checks.watermark).toMatchObject({ status: 'absent', deep: false, detail: 'no Custody watermark was detected' });
  });

  it('verify searches a squeezed and cropped copy of a signed photo deeper on its own; watermark extract with --deep only', { timeout: 120_000 }, async () => {
    const src = join(work, 'gravel.png');
    await sharp(photo('gravel.png')).toFile(src);
    const [receipt] = await signJson([src], ['--out', join(work, 'out-deep')]);
    // height squeezed to 90 %, 10 % cropped, WebP 75 (bench/watermark-attacks.ts), kept as PNG
    const copy = join(work, 'gravel-reframed.png');
    writeFileSync(copy, await pngOf(await attack(await loadRaster(receipt!.output), 'squeeze90+crop10+webp75', 1)));

    // the usual search reads nothing, but the copy looks like the signed photo: verify searches deeper on its own
    const auto = await verifyJson(copy);
    expect(auto.report.checks.watermark).toMatchObject({ status: 'pass', recordId: receipt!.recordId, distance: 0, deep: true });
    expect(auto.report.checks.watermark!.detail).toBe(`watermark of record ${receipt!.recordId}, 0 of 128 bits differ, found by the deep search, run because the copy looks like a signed photo`);
    expect(auto.report.recordId).toBe(receipt!.recordId);
    const r = await runCli(['verify', copy, '--json', '--deep'], env);
    const deep = JSON.parse(r.stdout) as Awaited<ReturnType<typeof verifyJson>>['report'];
    expect(deep.checks.watermark).toMatchObject({ status: 'pass', recordId: receipt!.recordId, distance: 0, deep: true, detail: `watermark of record ${receipt!.recordId}, 0 of 128 bits differ` });
    expect(deep.recordId).toBe(receipt!.recordId);

    const plain = await runCli(['watermark', 'extract', copy], env);
    expect(plain.code).toBe(1);
    // where the usual search found nothing, the command says what --deep would add
    expect(plain.stderr).toMatch(/^no watermark detected \(score \d+\.\d\d, threshold 7\); --deep also searches copies squeezed or stretched and cropped\n$/);
    const x = await runCli(['watermark', 'extract', copy, '--deep', '--json'], env);
    expect(x.code).toBe(0);
    expect(JSON.parse(x.stdout)).toMatchObject({ detected: true, checked: true, payload: receipt!.payload });
  });

  it('a record whose signature no longer verifies makes the verdict tampered', async () => {
    const src = join(work, 'forged.png');
    await sharp(photo('coins.png')).resize(300).toFile(src);
    const [receipt] = await signJson([src]);
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(join(env.CUSTODY_HOME!, 'desk.db'));
    db.prepare("UPDATE records SET fingerprint = replace(fingerprint, substr(fingerprint, 1, 4), 'beef') WHERE id = ?").run(receipt!.recordId);
    db.close();
    const v = await verifyJson(receipt!.output);
    expect(v.code).toBe(1);
    expect(v.report.verdict).toBe('tampered');
    expect(v.report.checks.signature!.status).toBe('fail');
  });

  it('signs an image under 256 px without a watermark; verify looks for one from 96 px, and skips under that', async () => {
    const src = join(work, 'small.png');
    await sharp(photo('camera.png')).resize(200).toFile(src);
    const [receipt] = await signJson([src]);
    expect(receipt!.payload).toBeNull();
    const v = await verifyJson(receipt!.output);
    expect(v.report.verdict).toBe('authentic');
    // a copy is often smaller than what a mark is embedded in, so verify looks (and here finds none)
    expect(v.report.checks.watermark).toMatchObject({ status: 'absent', detail: 'no Custody watermark was detected' });
    const tiny = join(work, 'tiny.png');
    await sharp(photo('camera.png')).resize(90).toFile(tiny);
    const t = await verifyJson(tiny);
    expect(t.report.checks.watermark).toMatchObject({ status: 'skipped', reason: 'IMAGE_TOO_SMALL_FOR_WATERMARK', detail: 'the image is 90×90; a watermark is looked for from 96 px on the short side' });
  });
});

describe('bad inputs', () => {
  it('gives each bad input its code, exit 2 and no output file', async () => {
    const dir = tempDir();
    const table = writeBadInputs(dir, photo('rocket.jpg'), photo('no_time_for_that_tiny.gif'));
    for (const bad of table) {
      const r = await runCli(['sign', bad.file, '--out', join(dir, 'out')], env);
      expect(r.code, bad.name).toBe(2);
      expect(r.stderr, bad.name).toMatch(new RegExp(`^error ${bad.code}: \\S`));
      expect(r.stderr.trim().split('\n'), bad.name).toHaveLength(1);
      const v = await runCli(['verify', bad.file], env);
      expect(v.code, `verify ${bad.name}`).toBe(2);
      expect(v.stderr, `verify ${bad.name}`).toMatch(new RegExp(`^error ${bad.code}: `));
    }
    expect(existsSync(join(dir, 'out')) ? readdirSync(join(dir, 'out')) : []).toEqual([]);
  }, 180_000); // two fresh CLI processes per bad input, one after the other: over a minute on a loaded machine

  it('keeps going through a batch, signing the good files and reporting the bad one', async () => {
    const dir = tempDir();
    const good = join(dir, 'good.png');
    await sharp(photo('moon.png')).toFile(good);
    const bad = join(dir, 'bad.jpg');
    writeFileSync(bad, 'not an image');
    const r = await runCli(['sign', good, bad, '--json'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error UNSUPPORTED_FORMAT: .*bad\.jpg/);
    expect(r.stderr).toMatch(/\[1\/2\] signing/);
    const receipts = JSON.parse(r.stdout) as Receipt[];
    expect(receipts.map((x) => x.input)).toEqual([good]);
  });

  it('answers NOT_INITIALIZED where there is no desk', async () => {
    const r = await runCli(['items'], { CUSTODY_HOME: join(tempDir(), 'none') });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error NOT_INITIALIZED: .*custody init/);
  });
});

describe('other commands', () => {
  it('lists items and keys, and prints the version', async () => {
    const items = await runCli(['items', '--json'], env);
    expect(items.code).toBe(0);
    const list = JSON.parse(items.stdout) as { id: string; kind: string }[];
    expect(list.length).toBeGreaterThan(3);
    expect(list.every((i) => i.kind === 'image')).toBe(true);

    const keys = await runCli(['keys', 'list', '--json'], env);
    const k = JSON.parse(keys.stdout) as { id: string; publicKey: string; retiredAt: string | null }[];
    expect(k).toHaveLength(1);
    expect(k[0]!.publicKey).toMatch(/^[0-9a-f]{64}$/);

    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('embeds and extracts a watermark through PNG and JPEG 90; an unmarked photo exits 1', async () => {
    const payload = '00112233445566778899aabbccddeeff';
    const out = join(work, 'wm.png');
    const e = await runCli(['watermark', 'embed', photo('astronaut.png'), out, '--payload', payload]);
    expect(e.code).toBe(0);
    const x = await runCli(['watermark', 'extract', out]);
    expect(x.code).toBe(0);
    expect(x.stdout.trim()).toBe(payload);
    // read with its checksum: no warning
    expect(x.stderr).toBe('');

    const jpeg90 = join(work, 'wm90.jpg');
    await sharp(out).jpeg({ quality: 90 }).toFile(jpeg90);
    const x90 = await runCli(['watermark', 'extract', jpeg90, '--json']);
    expect(x90.code).toBe(0);
    expect(JSON.parse(x90.stdout)).toMatchObject({ detected: true, payload });

    const none = await runCli(['watermark', 'extract', photo('astronaut.png')]);
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    const noneDeep = await runCli(['watermark', 'extract', photo('astronaut.png'), '--deep']);
    expect(noneDeep.code).toBe(1);
    expect(noneDeep.stderr).toMatch(/^no watermark detected \(score \d+\.\d\d, threshold 7\)\n$/);

    const bad = await runCli(['watermark', 'embed', photo('astronaut.png'), join(work, 'x.png'), '--payload', 'abc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error INVALID_ARGUMENT: expected a payload of 32 hex digits/);
  });

  it('prints a payload read without its checksum with a warning on stderr', async () => {
    // a reshare of cell.png whose sync pattern scores over the threshold while its payload reads 64 bits off
    // (test/watermark-match.test.ts matches it to its record)
    const payload = '9fc4e90e33587da2c7ec11365b80a5ca';
    const marked = join(work, 'wm-cell.png');
    expect((await runCli(['watermark', 'embed', photo('cell.png'), marked, '--payload', payload])).code).toBe(0);
    const copy = join(work, 'wm-cell-reshared.png');
    writeFileSync(copy, await pngOf(await attack(await loadRaster(marked), 'reshare', 4)));
    const x = await runCli(['watermark', 'extract', copy]);
    expect(x.code).toBe(0);
    expect(x.stdout.trim()).toMatch(/^[0-9a-f]{32}$/);
    expect(x.stdout.trim()).not.toBe(payload);
    expect(x.stderr).toBe('warning: found by its sync pattern only; the payload failed its checksum and may be wrong in many bits\n');
    const j = JSON.parse((await runCli(['watermark', 'extract', copy, '--json'])).stdout) as { detected: boolean; checked: boolean; payload: string };
    expect(j).toMatchObject({ detected: true, checked: false, payload: x.stdout.trim() });
  });

  it('matches a reshared copy that extract cannot read against candidate payloads; exit 1 when none matches', async () => {
    const payload = '00112233445566778899aabbccddeeff';
    const decoys = ['0f1e2d3c4b5a69788796a5b4c3d2e1f0', 'deadbeefdeadbeefdeadbeefdeadbeef'];
    const marked = join(work, 'wm-camera.png');
    expect((await runCli(['watermark', 'embed', photo('camera.png'), marked, '--payload', payload])).code).toBe(0);
    // crop 10 %, halve, JPEG 70, then WebP 75: 243 px wide
    const copy = join(work, 'wm-camera-reshared.png');
    writeFileSync(copy, await pngOf(await attack(await loadRaster(marked), 'reshare', 1)));
    expect((await runCli(['watermark', 'extract', copy])).code).toBe(1);

    const m = await runCli(['watermark', 'match', copy, '--payload', decoys[0]!, payload, decoys[1]!]);
    expect(m.code).toBe(0);
    expect(m.stdout).toMatch(new RegExp(`^${payload} \\(score \\d+\\.\\d\\d, threshold 8\\)`));
    const j = await runCli(['watermark', 'match', copy, '--payload', ...decoys, payload, '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ matched: true, payload, threshold: 8, mirrored: false, refined: true });
    expect((JSON.parse(j.stdout) as { scores: number[] }).scores).toHaveLength(3);

    const none = await runCli(['watermark', 'match', copy, '--payload', ...decoys]);
    expect(none.code).toBe(1);
    // an unmarked photo: nothing stands out, nothing is refined
    const plain = JSON.parse((await runCli(['watermark', 'match', photo('camera.png'), '--payload', ...decoys, '--json'])).stdout) as { matched: boolean; refined: boolean };
    expect(plain).toMatchObject({ matched: false, refined: false });
    expect(none.stderr).toMatch(/^none of the payloads matched \(best score \d+\.\d\d, threshold 8\)/);
    const many = await runCli(['watermark', 'match', copy, '--payload', ...decoys, ...decoys, payload]);
    expect(many.code).toBe(2);
    expect(many.stderr).toMatch(/^error INVALID_ARGUMENT: expected 1 to 4 payloads to match, got 5/);
  });
});
