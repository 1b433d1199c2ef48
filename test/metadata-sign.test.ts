// IPTC metadata through signing: fields set before signing land in the signed copy's XMP (read back by sharp's
// raw XMP buffer with an independent parse, and by exiftool), in the record, and in a `cawg.metadata` assertion
// that both C2PA readers accept; a caption full of markup and unicode survives; editing the copy's caption after
// signing breaks the credentials rather than changing what was signed.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../core/c2pa/read.ts';
import type { C2paMime } from '../core/c2pa/manifest.ts';
import type { Desk } from '../core/desk.ts';
import { trustAnchorsPem } from '../core/provenance/credentials.ts';
import { getRecord } from '../core/store/records.ts';
import { NEWSROOM_FIELDS } from './fixtures/iptc.ts';
import { photo } from './fixtures/photos.ts';
import { readWithC2paRs, readWithC2paTs } from './helpers/c2pa-readers.ts';
import { tempDir } from './helpers/cli.ts';
import { approveAndPublish, tempDesk } from './helpers/desk.ts';

const EXIFTOOL = ['/usr/bin/exiftool', '/usr/local/bin/exiftool'].find((p) => existsSync(p)) ?? null;
const NASTY = 'Flood at the <b>"Rhine"</b> & Mosel ]]> </rdf:li><x:evil/> — Köln, 洪水 🌊\nSecond line';
const EDITS = {
  headline: 'River breaks its banks',
  caption: NASTY,
  creator: 'Ada Lovelace',
  credit: 'Daily Planet / Ada Lovelace',
  copyright: '© 2026 Daily Planet',
  city: 'Köln',
  sublocation: 'Altstadt',
  state: 'NRW',
  country: 'Germany',
  keywords: ['flood', 'weather', 'Rhine & Mosel'],
  digitalSourceType: 'digitalCapture',
};

let desk: Desk;
let dir: string;
const actor = () => desk.bootstrapActor() ?? { name: 'ada', roles: ['admin' as const] };

/** The same picture each time: the tests sign it anew (`again`) with other fields. */
async function source(name: string, fmt: 'jpeg' | 'png' | 'webp', xmp?: string): Promise<string> {
  const p = join(dir, name);
  let img = sharp(photo('coffee.png')).resize(640)[fmt]({ quality: 90 });
  if (xmp) img = img.withXmp(xmp);
  await img.toFile(p);
  return p;
}

/** The text of one XMP property from the raw packet, by a plain regex (independent of the desk's parser). */
function rawProperty(packet: string, name: string): string | null {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(packet);
  if (!m) return null;
  const li = /<rdf:li[^>]*>([\s\S]*?)<\/rdf:li>/g;
  const items = [...m[1]!.matchAll(li)].map((x) => x[1]!);
  const text = items.length > 0 ? items.join('|') : m[1]!;
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#10;/g, '\n').replace(/&amp;/g, '&');
}

beforeAll(async () => {
  dir = tempDir();
  desk = await tempDesk('Daily Planet');
});
afterAll(() => desk?.close());

describe('signing with IPTC metadata', () => {
  for (const [fmt, mime] of [['jpeg', 'image/jpeg'], ['png', 'image/png'], ['webp', 'image/webp']] as const) {
    it(`${fmt}: the fields are in the signed copy's XMP, the record and a cawg.metadata assertion valid in both readers`, async () => {
      const input = await source(`a.${fmt}`, fmt);
      const r = await desk.sign(input, { actor: actor(), again: true, metadata: EDITS });
      const bytes = new Uint8Array(readFileSync(r.output));
      const expected = { ...EDITS, digitalSourceType: 'http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture' };
      expect(r.metadata).toEqual(expected);

      // sharp hands over the raw packet; a regex reads it, not the desk's XMP parser
      const packet = (await sharp(bytes).metadata()).xmp!.toString('utf8');
      expect(rawProperty(packet, 'dc:description')).toBe(NASTY);
      expect(rawProperty(packet, 'photoshop:Headline')).toBe(EDITS.headline);
      expect(rawProperty(packet, 'dc:subject')).toBe(EDITS.keywords.join('|'));
      expect(rawProperty(packet, 'Iptc4xmpExt:DigitalSourceType')).toBe(expected.digitalSourceType);
      expect(packet).not.toContain('<x:evil/>');

      // the record binds them, and so does the claim
      expect(getRecord(desk.store, r.recordId)!.details.metadata).toEqual(expected);
      const m = await readManifest(bytes, mime as C2paMime);
      expect(m?.metadata).toEqual(expected);
      expect(m?.actions[0]).toMatchObject({ action: 'c2pa.created', digitalSourceType: expected.digitalSourceType });
      expect(await readWithC2paRs(bytes, mime, trustAnchorsPem(desk.store))).toEqual({ valid: true, failures: [] });
      expect(await readWithC2paTs(bytes, mime)).toEqual({ valid: true, failures: [] });

      // the copy verifies, and the verify report shows the signed fields
      const v = await desk.verify(r.output);
      expect(v.verdict).toBe('authentic');
      expect(v.metadata).toEqual({ fields: expected, source: 'credentials' });
    }, 120_000);
  }

  it.skipIf(!EXIFTOOL)('exiftool reads the same fields from a signed JPEG, and the file\'s own fields prefill what is not edited', async () => {
    // A photographer's file: IPTC IIM and EXIF written by exiftool, no XMP caption.
    const input = await source('wire.jpg', 'jpeg');
    execFileSync(EXIFTOOL!, ['-overwrite_original', '-IPTC:CodedCharacterSet=UTF8', '-IPTC:Caption-Abstract=Wire caption é', '-IPTC:By-line=Wire Shooter', '-IPTC:Keywords=wire', '-IPTC:Keywords=news', '-EXIF:Copyright=(c) Wire Agency', input]);
    const own = (await desk.sign(input, { actor: actor(), again: true })).metadata;
    expect(own).toEqual({ caption: 'Wire caption é', creator: 'Wire Shooter', keywords: ['wire', 'news'], copyright: '(c) Wire Agency' });

    const r = await desk.sign(input, { actor: actor(), again: true, metadata: { headline: 'Edited headline', caption: NASTY, keywords: null } });
    expect(r.metadata).toEqual({ headline: 'Edited headline', caption: NASTY, creator: 'Wire Shooter', copyright: '(c) Wire Agency' });
    const out = JSON.parse(execFileSync(EXIFTOOL!, ['-j', '-XMP:all', '-charset', 'UTF8', r.output], { encoding: 'utf8' }))[0];
    expect(out.Headline).toBe('Edited headline');
    expect(out.Description).toBe(NASTY);
    expect(out.Creator).toBe('Wire Shooter');
    expect(out.Rights).toBe('(c) Wire Agency');
    expect(out.Subject).toBeUndefined();
    // the file's IIM now says the same, not the wire's old caption and keywords
    const iim = JSON.parse(execFileSync(EXIFTOOL!, ['-j', '-IPTC:all', r.output], { encoding: 'utf8' }))[0];
    expect(iim).toMatchObject({ CodedCharacterSet: 'UTF8', Headline: 'Edited headline', 'Caption-Abstract': NASTY, 'By-line': 'Wire Shooter', CopyrightNotice: '(c) Wire Agency' });
    expect(iim.Keywords).toBeUndefined();
  }, 120_000);

  it.skipIf(!EXIFTOOL)('a signed JPEG carries the same fields as IPTC IIM, read by exiftool; the file\'s other Photoshop resources stay; credentials valid in both readers', async () => {
    // A wire photo: a Latin-1 IIM block with an object name and a country code, and a Photoshop URL resource beside it.
    const input = await source('iim.jpg', 'jpeg');
    execFileSync(EXIFTOOL!, ['-overwrite_original', '-Photoshop:URL=https://wire.example/123', '-IPTC:ObjectName=Flut-123', '-IPTC:Country-PrimaryLocationCode=DEU', '-IPTC:Caption-Abstract=Old wire caption', '-IPTC:Keywords=old', input]);
    const edits = NEWSROOM_FIELDS;
    const r = await desk.sign(input, { actor: actor(), metadata: edits });
    expect(r.iimTruncated).toBeUndefined();
    const t = JSON.parse(execFileSync(EXIFTOOL!, ['-j', '-G1', '-IPTC:all', '-XMP:all', '-Photoshop:all', r.output], { encoding: 'utf8' }))[0];
    const pairs: [string, string, unknown][] = [
      ['IPTC:Headline', 'XMP-photoshop:Headline', edits.headline],
      ['IPTC:Caption-Abstract', 'XMP-dc:Description', edits.caption],
      ['IPTC:By-line', 'XMP-dc:Creator', ['Zoë Müller', '王小明']],
      ['IPTC:Credit', 'XMP-photoshop:Credit', edits.credit],
      ['IPTC:CopyrightNotice', 'XMP-dc:Rights', edits.copyright],
      ['IPTC:City', 'XMP-photoshop:City', edits.city],
      ['IPTC:Sub-location', 'XMP-iptcCore:Location', edits.sublocation],
      ['IPTC:Province-State', 'XMP-photoshop:State', edits.state],
      ['IPTC:Country-PrimaryLocationName', 'XMP-photoshop:Country', edits.country],
      ['IPTC:Keywords', 'XMP-dc:Subject', edits.keywords],
    ];
    for (const [iim, xmp, value] of pairs) {
      expect([iim, t[iim]]).toEqual([iim, value]);
      expect([xmp, t[xmp]]).toEqual([xmp, value]);
    }
    expect(t['IPTC:CodedCharacterSet']).toBe('UTF8');
    expect(t['IPTC:ObjectName']).toBe('Flut-123');
    expect(t['IPTC:Country-PrimaryLocationCode']).toBe('DEU');
    expect(t['Photoshop:URL']).toBe('https://wire.example/123');
    const bytes = new Uint8Array(readFileSync(r.output));
    expect(await readWithC2paRs(bytes, 'image/jpeg', trustAnchorsPem(desk.store))).toEqual({ valid: true, failures: [] });
    expect(await readWithC2paTs(bytes, 'image/jpeg')).toEqual({ valid: true, failures: [] });
    expect((await desk.verify(r.output)).verdict).toBe('authentic');

    // a caption over IIM's 2,000 bytes is cut there, and said so; the XMP and the credentials keep it whole
    const long = `${'Lang '.repeat(399)}ΩΩé`; // 1,995 + 6 bytes
    const cut = await desk.sign(input, { actor: actor(), again: true, metadata: { caption: long } });
    expect(cut.iimTruncated).toEqual(['caption']);
    const c = JSON.parse(execFileSync(EXIFTOOL!, ['-j', '-G1', '-IPTC:Caption-Abstract', '-XMP-dc:Description', cut.output], { encoding: 'utf8' }))[0];
    expect(c['XMP-dc:Description']).toBe(long);
    expect(c['IPTC:Caption-Abstract']).toBe(long.slice(0, -1)); // é's two bytes do not fit
    expect((await readManifest(new Uint8Array(readFileSync(cut.output)), 'image/jpeg'))?.metadata?.caption).toBe(long);
  }, 180_000);

  it('an existing XMP packet keeps its other properties; the fields it held are replaced', async () => {
    const xmp = `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:ps="http://ns.adobe.com/photoshop/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" ps:Headline="Old headline" xmp:Rating="4"><ps:City>Bonn</ps:City></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;
    const input = await source('rated.jpg', 'jpeg', xmp);
    const r = await desk.sign(input, { actor: actor(), again: true, metadata: { headline: 'New headline' } });
    expect(r.metadata).toEqual({ headline: 'New headline', city: 'Bonn' });
    const packet = (await sharp(readFileSync(r.output)).metadata()).xmp!.toString('utf8');
    expect(packet).toContain('xmp:Rating="4"');
    expect(packet).not.toContain('Old headline');
    expect(rawProperty(packet, 'photoshop:City')).toBe('Bonn');
  }, 120_000);

  it('refuses over-long fields and unknown ones, and a video with metadata, before anything is signed', async () => {
    const input = await source('long.jpg', 'jpeg');
    const before = desk.items(1000).length;
    await expect(desk.sign(input, { actor: actor(), again: true, metadata: { caption: 'x'.repeat(4001) } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(desk.sign(input, { actor: actor(), again: true, metadata: { captoin: 'typo' } as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(desk.sign(input, { actor: actor(), again: true, metadata: { digitalSourceType: 'javascript:alert(1)' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(desk.items(1000).length).toBe(before);
  });

  it('editing the caption of a signed copy afterwards breaks its credentials in both readers; the record keeps what was signed', async () => {
    const input = await source('edit.jpg', 'jpeg');
    const r = await desk.sign(input, { actor: actor(), again: true, metadata: { caption: 'Signed caption' } });
    const edited = join(dir, 'edited.jpg');
    const bytes = readFileSync(r.output);
    // same length, so only the caption differs: in the XMP and in the assertion
    const copy = Buffer.from(bytes.toString('latin1').split('Signed caption').join('Forged caption'), 'latin1');
    expect(copy.equals(bytes)).toBe(false);
    writeFileSync(edited, copy);
    expect((await readWithC2paRs(copy, 'image/jpeg')).valid).toBe(false);
    expect((await readWithC2paTs(copy, 'image/jpeg')).valid).toBe(false);
    const v = await desk.verify(edited);
    expect(v.verdict).not.toBe('authentic');
    expect(v.metadata).toMatchObject({ fields: { caption: 'Signed caption' }, source: 'record' });
    const details = getRecord(desk.store, r.recordId)!.details;
    expect(details.metadata).toEqual({ caption: 'Signed caption' });

    // the record row re-captioned in desk.db: its key never signed that, so verify falls back to the file's own, unsigned
    desk.store.raw.prepare('UPDATE records SET details = ? WHERE id = ?').run(JSON.stringify({ ...details, metadata: { caption: 'Rewritten in the database' } }), r.recordId);
    expect((await desk.verify(edited)).metadata).toEqual({ fields: { caption: 'Forged caption' }, source: 'file' });
  }, 120_000);

  it('a published copy still carries the signed fields, valid in both readers', async () => {
    const input = await source('pub.jpg', 'jpeg');
    const r = await desk.sign(input, { actor: actor(), again: true, metadata: { headline: 'To publish', creator: 'Ed' } });
    const { receipt } = await approveAndPublish(desk, r.recordId, join(dir, 'published'));
    const bytes = new Uint8Array(readFileSync(receipt.output));
    expect((await readManifest(bytes, 'image/jpeg'))?.metadata).toEqual({ headline: 'To publish', creator: 'Ed' });
    // the published manifest carries them itself: the verify report counts only the active manifest's own fields
    expect((await readManifest(bytes, 'image/jpeg'))?.metadataManifestLabel).toBe((await readManifest(bytes, 'image/jpeg'))?.manifestLabel);
    expect((await desk.verify(receipt.output)).metadata).toEqual({ fields: { headline: 'To publish', creator: 'Ed' }, source: 'credentials' });
    expect(await readWithC2paRs(bytes, 'image/jpeg', trustAnchorsPem(desk.store))).toEqual({ valid: true, failures: [] });
    expect(await readWithC2paTs(bytes, 'image/jpeg')).toEqual({ valid: true, failures: [] });
  }, 120_000);

  it('credentials re-signed by a signer this desk does not trust do not count as signed fields: the record\'s are shown', async () => {
    // a picture of its own: the others here are all the same photo, signed again and again
    const input = join(dir, 'resigned.jpg');
    await sharp(photo('rocket.jpg')).resize(640).jpeg({ quality: 90 }).toFile(input);
    const r = await desk.sign(input, { actor: actor(), again: true, metadata: { headline: 'Launch at dawn', caption: 'The rocket leaves the pad at 06:12.' } });
    // Another desk of the same name has its own root, which this desk does not trust: anyone can make one.
    const evil = await tempDesk('Daily Planet');
    try {
      const forged = await evil.sign(r.output, { actor: evil.bootstrapActor()!, outDir: join(dir, 'evil'), again: true, metadata: { headline: 'Rocket explodes on pad', caption: 'Dozens hurt as the rocket explodes.' } });
      const v = await desk.verify(forged.output);
      expect(v.recordId).toBe(r.recordId); // traced to the genuine record by its watermark
      expect(v.checks.c2pa).toMatchObject({ valid: true, trusted: false });
      expect(v.metadata).toEqual({ fields: { headline: 'Launch at dawn', caption: 'The rocket leaves the pad at 06:12.' }, source: 'record' });
    } finally {
      evil.close();
    }
  }, 120_000);
});
