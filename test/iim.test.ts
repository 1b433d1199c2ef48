// IPTC IIM writing: what the desk writes, its own reader and exiftool read back the same (UTF-8 declared, non-ASCII
// and repeated keywords included); values over IIM's dataset limits are cut on a UTF-8 boundary and reported; a
// JPEG's other Photoshop resources and IIM datasets the desk does not manage are kept; a block too large for one
// APP13 segment is split over several and read back whole.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { IIM_LIMITS, jpegWithIim, readIimFields, writeIim } from '../core/media/iim.ts';
import { jpegHeaderSegments } from '../core/media/metadata.ts';
import type { PhotoMetadata } from '../core/media/photo-metadata.ts';
import { NEWSROOM_FIELDS } from './fixtures/iptc.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';

const EXIFTOOL = ['/usr/bin/exiftool', '/usr/local/bin/exiftool'].find((p) => existsSync(p)) ?? null;
const FIELDS: PhotoMetadata = NEWSROOM_FIELDS;

let dir: string;
let plain: Buffer;
beforeAll(async () => {
  dir = tempDir();
  plain = await sharp(photo('coffee.png')).resize(320).jpeg({ quality: 85 }).toBuffer();
});

/** exiftool's reading of a file's IPTC and Photoshop resources (group names kept apart). */
function exif(bytes: Uint8Array, name: string): Record<string, unknown> {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return JSON.parse(execFileSync(EXIFTOOL!, ['-j', '-G1', '-IPTC:all', '-Photoshop:all', '-CurrentIPTCDigest', p], { encoding: 'utf8' }))[0];
}

describe('IPTC IIM writer', () => {
  it('round-trips through the reader, non-ASCII and repeated keywords and creators included', () => {
    const { iim, truncated } = writeIim(FIELDS, null);
    expect(truncated).toEqual([]);
    expect(readIimFields(iim)).toEqual(FIELDS);
    // 1:90 declares UTF-8, and record 2 opens with its version
    expect(iim.subarray(0, 8)).toEqual(Buffer.from([0x1c, 1, 90, 0, 3, 0x1b, 0x25, 0x47]));
    expect(iim.subarray(8, 15)).toEqual(Buffer.from([0x1c, 2, 0, 0, 2, 0, 4]));
  });

  it('cuts a value over its dataset limit on a UTF-8 boundary and reports it', () => {
    const caption = `${'a'.repeat(IIM_LIMITS.caption - 1)}é and more`;
    const { iim, truncated } = writeIim({ caption, city: 'Ω'.repeat(17), keywords: ['中'.repeat(22), 'ok'], creator: 'Short' }, null);
    expect(truncated.sort()).toEqual(['caption', 'city', 'keywords']);
    const back = readIimFields(iim);
    expect(back.caption).toBe('a'.repeat(IIM_LIMITS.caption - 1)); // é's two bytes do not fit in the last one
    expect(back.city).toBe('Ω'.repeat(16)); // 32 bytes
    expect(back.keywords).toEqual(['中'.repeat(21), 'ok']); // 63 bytes
    expect(back.creator).toBe('Short');
    expect(JSON.stringify(back)).not.toContain('\uFFFD');
  });

  it('keeps the datasets it does not manage, re-encoded to UTF-8, and drops the old values of the fields it writes', () => {
    const ds = (rec: number, n: number, v: Buffer) => Buffer.concat([Buffer.from([0x1c, rec, n, v.length >> 8, v.length & 0xff]), v]);
    const latin1 = Buffer.concat([
      ds(1, 0, Buffer.from([0, 4])),
      ds(2, 0, Buffer.from([0, 2])),
      ds(2, 5, Buffer.from('Café', 'latin1')),
      ds(2, 25, Buffer.from('old keyword', 'latin1')),
      ds(2, 100, Buffer.from('DEU', 'latin1')),
      ds(2, 120, Buffer.from('Old caption é', 'latin1')),
    ]);
    const { iim } = writeIim({ caption: 'New caption ü' }, latin1);
    expect(readIimFields(iim)).toEqual({ caption: 'New caption ü' });
    expect(iim).toEqual(Buffer.concat([
      ds(1, 0, Buffer.from([0, 4])),
      ds(1, 90, Buffer.from([0x1b, 0x25, 0x47])),
      ds(2, 0, Buffer.from([0, 2])),
      ds(2, 5, Buffer.from('Café', 'utf8')),
      ds(2, 100, Buffer.from('DEU', 'utf8')),
      ds(2, 120, Buffer.from('New caption ü', 'utf8')),
    ]));
  });
});

describe.skipIf(!EXIFTOOL)('IIM in a JPEG, read by exiftool', () => {
  it('a JPEG without APP13 gets one that exiftool reads as the same fields, with a current IPTC digest', async () => {
    const { bytes, truncated } = jpegWithIim(plain, FIELDS);
    expect(truncated).toEqual([]);
    const t = exif(bytes, 'plain.jpg');
    expect(t).toMatchObject({
      'IPTC:CodedCharacterSet': 'UTF8',
      'IPTC:Headline': FIELDS.headline,
      'IPTC:Caption-Abstract': FIELDS.caption,
      'IPTC:By-line': ['Zoë Müller', '王小明'],
      'IPTC:Credit': FIELDS.credit,
      'IPTC:CopyrightNotice': FIELDS.copyright,
      'IPTC:City': FIELDS.city,
      'IPTC:Sub-location': FIELDS.sublocation,
      'IPTC:Province-State': FIELDS.state,
      'IPTC:Country-PrimaryLocationName': FIELDS.country,
      'IPTC:Keywords': FIELDS.keywords,
    });
    expect(t['Photoshop:IPTCDigest']).toBe(t['File:CurrentIPTCDigest']);
    // the picture is untouched: same pixels, and sharp hands the block to the reader
    expect((await sharp(bytes).raw().toBuffer()).equals(await sharp(plain).raw().toBuffer())).toBe(true);
    expect(readIimFields((await sharp(bytes).metadata()).iptc)).toEqual(FIELDS);
    // written twice, the block is replaced, not repeated
    const again = jpegWithIim(bytes, { headline: 'Second' }).bytes;
    expect(jpegHeaderSegments(again).filter((s) => s.marker === 0xed)).toHaveLength(1);
    expect(exif(again, 'again.jpg')['IPTC:Headline']).toBe('Second');
    expect(exif(again, 'again.jpg')['IPTC:Keywords']).toBeUndefined();
  });

  it('a JPEG whose APP13 holds other Photoshop resources and IIM datasets keeps them', () => {
    const p = join(dir, 'ps.jpg');
    writeFileSync(p, plain);
    // exiftool writes the IIM as Latin-1 (no 1:90) and the URL and copyright flag resources beside it
    execFileSync(EXIFTOOL!, ['-overwrite_original', '-Photoshop:URL=https://example.org/ü', '-Photoshop:CopyrightFlag=True',
      '-IPTC:ObjectName=Café', '-IPTC:Country-PrimaryLocationCode=DEU', '-IPTC:Caption-Abstract=Old caption', '-IPTC:Keywords=old', p]);
    const before = exif(readFileSync(p), 'before.jpg');
    expect(before['IPTC:CodedCharacterSet']).toBeUndefined();
    expect(before['Photoshop:URL']).toBe('https://example.org/ü');
    expect(before['IPTC:ObjectName']).toBe('Café');

    const { bytes } = jpegWithIim(readFileSync(p), FIELDS);
    const t = exif(bytes, 'ps-after.jpg');
    expect(t).toMatchObject({
      'Photoshop:URL': 'https://example.org/ü',
      'Photoshop:CopyrightFlag': true,
      'IPTC:CodedCharacterSet': 'UTF8',
      'IPTC:ObjectName': 'Café',
      'IPTC:Country-PrimaryLocationCode': 'DEU',
      'IPTC:Caption-Abstract': FIELDS.caption,
      'IPTC:Keywords': FIELDS.keywords,
    });
    expect(t['Photoshop:IPTCDigest']).toBe(t['File:CurrentIPTCDigest']);
  });

  it('a Photoshop block too large for one segment is split over several APP13s and read back whole', () => {
    // a 100 kB resource of the plug-in range (0x0FA0) ahead of the IIM
    const big = Buffer.alloc(100_000, 0x5a);
    const res = Buffer.alloc(12);
    res.write('8BIM', 0, 'latin1');
    res.writeUInt16BE(0x0fa0, 4);
    res.writeUInt32BE(big.length, 8);
    const withBig = jpegWithIim(plain, {}).bytes;
    // put the big resource into the block by hand: splice it after the "Photoshop 3.0\0" of the one APP13
    const seg = jpegHeaderSegments(withBig).find((s) => s.marker === 0xed)!;
    const block = Buffer.concat([Buffer.from(res), big, Buffer.from(withBig.subarray(seg.start + 18, seg.end))]);
    const segments: Buffer[] = [];
    for (let at = 0; at < block.length; at += 60_000) {
      const chunk = block.subarray(at, at + 60_000);
      const head = Buffer.from([0xff, 0xed, 0, 0]);
      head.writeUInt16BE(2 + 14 + chunk.length, 2);
      segments.push(head, Buffer.from('Photoshop 3.0\0', 'latin1'), chunk);
    }
    const split = Buffer.concat([withBig.subarray(0, seg.start), ...segments, withBig.subarray(seg.end)]);

    const { bytes } = jpegWithIim(split, FIELDS);
    expect(jpegHeaderSegments(bytes).filter((s) => s.marker === 0xed)).toHaveLength(2);
    const t = exif(bytes, 'split.jpg');
    expect(t['IPTC:Headline']).toBe(FIELDS.headline);
    expect(t['IPTC:Keywords']).toEqual(FIELDS.keywords);
    expect(t['Photoshop:IPTCDigest']).toBe(t['File:CurrentIPTCDigest']);
    // the big resource survived, byte for byte
    const segs = jpegHeaderSegments(bytes).filter((s) => s.marker === 0xed);
    const joined = Buffer.concat(segs.map((s) => Buffer.from(bytes.subarray(s.start + 18, s.end))));
    expect(joined.indexOf(Buffer.concat([res, big]))).toBe(0);
  });
});
