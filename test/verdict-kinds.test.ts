// Issue 21 §2: each file of a record gets its own verdict, through the real `custody verify`: the unsigned original
// is `original` (never "the signed file"), the signed output `authentic`, the published file `published` in every
// format — WebP and MP4 included, MP4 publishing really writing a manifest with c2pa.published — and a re-encoded
// copy of a published item `published` too; the report says who signed and who approved.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../core/c2pa/read.ts';
import type { Desk } from '../core/desk.ts';
import { sha256Hex } from '../core/media/hash.ts';
import { photo } from './fixtures/photos.ts';
import { makeSlideshow } from './fixtures/video.ts';
import { runCli, tempDir } from './helpers/cli.ts';
import { approveAndPublish, tempDesk } from './helpers/desk.ts';

interface Report {
  verdict: string;
  summary: string;
  recordId: string;
  checks: { sha256: { status: string; detail: string }; c2pa: { status: string; detail: string }; signature: { status: string; detail: string; binds?: string } };
  signed?: { org: string; keyId: string; signedAt: string };
  publication?: { publishedBy: string; approvals: { by: string; stage: string }[] };
}

let desk: Desk;
let work: string;
beforeAll(async () => {
  desk = await tempDesk('Kinds Desk');
  work = tempDir();
});
afterAll(() => desk.close());

/** The vault holder until approveAndPublish creates the users, then the editor. */
const signer = () => desk.bootstrapActor() ?? { name: 'ed', roles: ['editor' as const] };

async function verify(file: string): Promise<{ code: number; report: Report }> {
  const r = await runCli(['verify', file, '--json'], { CUSTODY_HOME: desk.home });
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

describe.each([['jpeg'], ['png'], ['webp'], ['mp4']])('%s: original, signed, published', (fmt) => {
  it('each file says what it is, who signed it and who approved it', async () => {
    const src = join(work, `kinds.${fmt}`);
    if (fmt === 'mp4') await makeSlideshow(src, { seconds: 6, width: 320, height: 240, fps: 10 });
    else await sharp(photo('chelsea.png'))[fmt as 'jpeg']().toFile(src);
    const signed = await desk.sign(src, { actor: signer(), outDir: work });
    const { receipt } = await approveAndPublish(desk, signed.recordId, work);
    expect(sha256Hex(readFileSync(receipt.output))).not.toBe(signed.outputSha256);

    const original = await verify(src);
    expect(original.report.verdict).toBe('original');
    expect(original.code).toBe(0);
    expect(original.report.summary).toMatch(new RegExp(`^This is the file record ${signed.recordId} was signed from, not the signed version\\. The published version is kinds\\.published\\.`));
    expect(original.report.summary).not.toMatch(/the signed file, unchanged/);
    expect(original.report.checks.sha256.detail).toMatch(/unsigned file .* was signed from \(not the signed version\)/);

    const out = await verify(signed.output);
    expect(out.report.verdict).toBe('authentic');
    expect(out.report.signed).toMatchObject({ org: 'Kinds Desk', keyId: signed.keyId, signedAt: signed.signedAt });

    const pub = await verify(receipt.output);
    expect(pub.report.verdict).toBe('published');
    expect(pub.code).toBe(0);
    expect(pub.report.checks.c2pa.status).toBe('pass');
    expect(pub.report.checks.sha256).toMatchObject({ status: 'pass' });
    expect(pub.report.checks.signature.status).toBe('pass');
    expect(pub.report.publication).toMatchObject({ publishedBy: 'ed', approvals: [{ by: 'cy', stage: 'desk' }, { by: 'cy', stage: 'chief' }] });
    expect(pub.report.summary).toMatch(/^This is the organisation's published version of record .*Published by ed on .*approved by cy \(desk\), cy \(chief\)\. Signed by Kinds Desk on /);
    if (fmt === 'mp4') {
      const m = await readManifest(readFileSync(receipt.output), 'video/mp4', { trustAnchorsPem: desk.orgRootPem() });
      expect(m).toMatchObject({ valid: true, trusted: true, validationCodes: [] });
      expect(m!.actions.map((a) => a.action)).toEqual(['c2pa.opened', 'c2pa.published']);
    }
  }, 120_000);
});

it('a re-encoded copy of a published photo is published, and says it is a copy', async () => {
  const src = join(work, 'copy-src.png');
  await sharp(photo('coffee.png')).png().toFile(src);
  const signed = await desk.sign(src, { actor: signer(), outDir: work });
  const { receipt } = await approveAndPublish(desk, signed.recordId, work);
  const copy = join(work, 'published-copy.jpg');
  await sharp(receipt.output).resize(400).jpeg({ quality: 70 }).toFile(copy);
  const { code, report } = await verify(copy);
  expect(report.verdict).toBe('published');
  expect(code).toBe(0);
  expect(report.summary).toMatch(/^A copy of the organisation's published version of record /);
}, 120_000);
