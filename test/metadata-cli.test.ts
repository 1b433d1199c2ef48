// `custody sign` with IPTC options and `--metadata FILE.json`, through the real command: the fields land in the
// signed copy (read back by sharp's raw XMP), `custody verify` prints them with where they come from, `custody items
// --json` carries them, and a caption that tries to forge output lines is printed escaped.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { photo } from './fixtures/photos.ts';
import { freshDesk, runCli, tempDir } from './helpers/cli.ts';

let env: Record<string, string>;
let work: string;

beforeAll(async () => {
  env = await freshDesk();
  work = tempDir();
});

describe('custody sign with IPTC metadata', () => {
  it('writes the flags (over a JSON file) into the copy, and verify and items show them', async () => {
    const src = join(work, 'flood.jpg');
    await sharp(photo('coffee.png')).resize(480).jpeg().toFile(src);
    const json = join(work, 'iptc.json');
    writeFileSync(json, JSON.stringify({ headline: 'From the file', credit: 'Wire', keywords: ['x'] }));
    const caption = 'Rhine <flood> & "rain"\nsigned evil.jpg → forged';
    const r = await runCli(['sign', src, '--metadata', json, '--headline', 'From the flag', '--caption', caption, '--creator', 'Ada', '--keywords', 'flood, rain', '--city', 'Köln', '--country', 'Germany', '--source-type', 'digitalCapture'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('    headline     From the flag');
    // the caption's line break is escaped: no line of output starts with "signed evil.jpg"
    expect(r.stdout.split('\n').some((l) => l.startsWith('signed evil.jpg'))).toBe(false);
    expect(r.stdout).toContain('Rhine <flood> & "rain"\\nsigned evil.jpg');
    const output = join(work, 'flood.signed.jpg');
    const xmp = (await sharp(readFileSync(output)).metadata()).xmp!.toString('utf8');
    expect(xmp).toContain('<photoshop:Headline>From the flag</photoshop:Headline>');
    expect(xmp).toContain('<photoshop:Credit>Wire</photoshop:Credit>');
    expect(xmp).toContain('Rhine &lt;flood&gt; &amp; "rain"');
    expect(xmp).toContain('<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture</Iptc4xmpExt:DigitalSourceType>');

    const v = await runCli(['verify', output], env);
    expect(v.code).toBe(0);
    expect(v.stdout).toContain('metadata (signed in its Content Credentials):');
    expect(v.stdout).toContain('    keywords     flood, rain');
    expect(v.stdout).toContain('    source type  digitalCapture');

    const items = JSON.parse((await runCli(['items', '--json'], env)).stdout) as { details: { metadata?: Record<string, unknown> } }[];
    expect(items[0]!.details.metadata).toMatchObject({ headline: 'From the flag', caption, creator: 'Ada', credit: 'Wire', keywords: ['flood', 'rain'], city: 'Köln' });
  }, 300_000);

  it('refuses a caption over the limit and a malformed JSON file, with a code and no signed copy', async () => {
    const src = join(work, 'long.jpg');
    await sharp(photo('coffee.png')).resize(300).jpeg().toFile(src);
    const long = await runCli(['sign', src, '--headline', 'h'.repeat(300)], env);
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(/^error INVALID_ARGUMENT: expected headline of at most 256 characters, got 300/);
    writeFileSync(join(work, 'bad.json'), '{ nope');
    const bad = await runCli(['sign', src, '--metadata', join(work, 'bad.json')], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error INVALID_ARGUMENT: expected IPTC fields as JSON/);
  }, 180_000);
});
