// The XMP reader and writer on their own: every RDF/XML form of the IPTC properties reads the same, hostile packets
// are refused without expanding anything, and what is written parses back to exactly what went in.
import { describe, expect, it } from 'vitest';
import { normaliseMetadata, metadataEdits, mergeMetadata } from '../core/media/photo-metadata.ts';
import { readIimFields } from '../core/media/iim.ts';
import { parseXml } from '../core/media/xml-lite.ts';
import { readXmpFields, writeXmpPacket } from '../core/media/xmp.ts';
import { metadataAssertionData, parseMetadataAssertion } from '../core/c2pa/metadata-assertion.ts';

const RDF = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"';
const wrap = (body: string) => `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF ${RDF}>${body}</rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;

describe('reading XMP', () => {
  it('reads attribute and element forms, any prefix, Alt by x-default, Bag and Seq', () => {
    const packet = wrap(
      `<rdf:Description rdf:about="" xmlns:P="http://ns.adobe.com/photoshop/1.0/" P:Headline="H &amp; h" P:City="Köln"/>` +
        `<rdf:Description rdf:about="" xmlns:d="http://purl.org/dc/elements/1.1/"><d:description><rdf:Alt><rdf:li xml:lang="de">Deutsch</rdf:li><rdf:li xml:lang="x-default">Default &lt;b&gt;</rdf:li></rdf:Alt></d:description>` +
        `<d:subject><rdf:Bag><rdf:li>one</rdf:li><rdf:li><![CDATA[two & <three>]]></rdf:li></rdf:Bag></d:subject><d:creator><rdf:Seq><rdf:li>A</rdf:li><rdf:li>B</rdf:li></rdf:Seq></d:creator></rdf:Description>`,
    );
    expect(readXmpFields(packet)).toEqual({ headline: 'H & h', city: 'Köln', caption: 'Default <b>', keywords: ['one', 'two & <three>'], creator: 'A; B' });
  });

  it.each([
    ['a DOCTYPE with entities', `<!DOCTYPE x [<!ENTITY a "aaaa">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&a;</x:xmpmeta>`],
    ['an undeclared entity', wrap('<rdf:Description>&foo;</rdf:Description>')],
    ['a mismatched tag', wrap('<rdf:Description></rdf:Descr>')],
    ['an unclosed element', `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF ${RDF}>`],
    ['elements nested 100 deep', `${'<a>'.repeat(100)}${'</a>'.repeat(100)}`],
    ['a second root', '<a/><b/>'],
    ['a NUL character reference', wrap('<rdf:Description>&#0;</rdf:Description>')],
  ])('refuses %s', (_what, packet) => {
    expect(() => readXmpFields(packet)).toThrow(expect.objectContaining({ code: 'CORRUPT_MEDIA' }));
  });
});

describe('writing XMP', () => {
  const fields = normaliseMetadata({
    headline: '</photoshop:Headline><evil/>', caption: 'a & b < c > d "e" \'f\' ]]> 🌊\nline', creator: 'X; Y', keywords: ['k1', 'k<2>'],
    city: 'C', sublocation: 'S', state: 'St', country: 'Co', credit: 'Cr', copyright: '©', digitalSourceType: 'digitalCapture',
  });
  it('round-trips every field through a new packet, escaped', () => {
    const packet = writeXmpPacket(null, fields);
    expect(packet).not.toContain('<evil/>');
    const back = normaliseMetadata(readXmpFields(packet));
    expect(back).toEqual(fields);
    expect(() => parseXml(packet)).not.toThrow();
  });
  it('replaces an unparsable packet rather than carrying it on', () => {
    expect(normaliseMetadata(readXmpFields(writeXmpPacket('<not xml', { headline: 'h' })))).toEqual({ headline: 'h' });
  });
  it('removes the fields left out, keeps the rest', () => {
    const first = writeXmpPacket(wrap(`<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="5"/>`), fields);
    const second = writeXmpPacket(first, { headline: 'only' });
    expect(readXmpFields(second)).toEqual({ headline: 'only' });
    expect(second).toContain('xmp:Rating="5"');
  });
});

describe('fields', () => {
  it('cleans controls, trims, de-duplicates keywords, and refuses what is too long', () => {
    expect(normaliseMetadata({ headline: ' a\u0000b\u0007 ', keywords: 'x, y ,X,,', caption: 'l1\r\nl2' })).toEqual({ headline: 'ab', keywords: ['x', 'y'], caption: 'l1\nl2' });
    expect(() => normaliseMetadata({ headline: 'h'.repeat(257) })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => normaliseMetadata({ keywords: Array.from({ length: 65 }, (_, i) => `k${i}`) })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => normaliseMetadata({ digitalSourceType: 'http://evil.example/digitalCapture' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
  it('an emptied field clears the file\'s value', () => {
    expect(mergeMetadata({ headline: 'old', city: 'C' }, metadataEdits({ headline: '', caption: 'new' }))).toEqual({ city: 'C', caption: 'new' });
  });
  it('the assertion data round-trips', () => {
    const fields = normaliseMetadata({ headline: 'h', creator: 'A; B', keywords: ['k'], digitalSourceType: 'digitalCapture' });
    expect(parseMetadataAssertion(metadataAssertionData(fields))).toEqual(fields);
  });
});

describe('IPTC IIM', () => {
  const ds = (rec: number, n: number, v: string | Buffer) => {
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    return Buffer.concat([Buffer.from([0x1c, rec, n, b.length >> 8, b.length & 0xff]), b]);
  };
  const irb = (iim: Buffer) => {
    const head = Buffer.alloc(12);
    head.write('8BIM', 0, 'latin1');
    head.writeUInt16BE(0x0404, 4);
    head.writeUInt32BE(iim.length, 8);
    return Buffer.concat([Buffer.from('Photoshop 3.0\0', 'latin1'), head, iim, Buffer.alloc(iim.length % 2)]);
  };
  it('reads record 2 from a Photoshop resource block, UTF-8 when declared, Latin-1 otherwise', () => {
    const utf8 = irb(Buffer.concat([ds(1, 90, Buffer.from([0x1b, 0x25, 0x47])), ds(2, 120, 'Café'), ds(2, 25, 'a'), ds(2, 25, 'b'), ds(2, 80, 'By')]));
    expect(readIimFields(utf8)).toEqual({ caption: 'Café', keywords: ['a', 'b'], creator: 'By' });
    expect(readIimFields(irb(ds(2, 105, Buffer.from([0x43, 0x61, 0x66, 0xe9]))))).toEqual({ headline: 'Café' });
  });
  it('stops at a truncated dataset instead of reading past the end', () => {
    const b = irb(Buffer.concat([ds(2, 105, 'ok'), Buffer.from([0x1c, 2, 120, 0xff, 0xff, 0x41])]));
    expect(readIimFields(b)).toEqual({ headline: 'ok' });
  });
});
