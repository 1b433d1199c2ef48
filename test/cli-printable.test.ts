// File names with control characters are printed escaped by the command: a name with a newline cannot forge a
// second line of output, one with ESC cannot drive the terminal, one with a right-to-left override cannot reorder
// what is shown. Unit cases for the one helper, then the real command on a real file with such a name.
/* eslint-disable no-control-regex -- the test is about control characters */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { printable, printableText } from '../cli/printable.ts';
import { photo } from './fixtures/photos.ts';
import { freshDesk, runCli, tempDir } from './helpers/cli.ts';

describe('printable', () => {
  it.each([
    ['a newline', 'ok.jpg\nsigned evil.jpg', 'ok.jpg\\nsigned evil.jpg'],
    ['ESC (a colour, a window title)', 'a\x1b[31mred\x1b]0;pwned\x07.jpg', 'a\\e[31mred\\e]0;pwned\\x07.jpg'],
    ['a C1 control (CSI)', 'x\x9b2Jy', 'x\\x9b2Jy'],
    ['DEL and NUL', 'a\x7fb\x00c', 'a\\x7fb\\x00c'],
    ['a right-to-left override', 'photo\u202Egpj.exe', 'photo\\u202egpj.exe'],
    ['a backslash beside an escape', 'C:\\a\nb', 'C:\\\\a\\nb'],
  ])('escapes %s', (_what, input, shown) => {
    expect(printable(input)).toBe(shown);
  });

  it('leaves ordinary names alone, Windows paths and accents included', () => {
    for (const s of ['C:\\Users\\ada\\Pictures\\été 2025.jpg', '/srv/photos/北京.jpg', 'a b-c_d.e']) expect(printable(s)).toBe(s);
  });

  it('keeps JSON valid and its line breaks, escaping what JSON.stringify leaves raw', () => {
    const text = JSON.stringify({ name: 'x\x9by\u202Ez\x1b' }, null, 2);
    const safe = printableText(text);
    expect(safe).not.toMatch(/[\x9b\u202e\x1b]/);
    expect(JSON.parse(safe)).toEqual({ name: 'x\x9by\u202Ez\x1b' });
    expect(safe.split('\n')).toHaveLength(3);
  });
});

describe('the command', () => {
  it('prints a signed file whose name holds a newline and ESC on one escaped line', async () => {
    const env = await freshDesk();
    const dir = tempDir();
    const name = 'harbour\nsigned fake.jpg\x1b[2J';
    const src = join(dir, name);
    writeFileSync(src, await sharp(photo('coffee.png')).jpeg().toBuffer());
    const r = await runCli(['sign', src, '--out', join(dir, 'out')], env);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stdout).toContain('harbour\\nsigned fake.jpg\\e[2J');

    const items = await runCli(['items'], env);
    expect(items.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(items.stdout).not.toContain('\x1b');

    const bad = join(dir, 'notes\n\x1b]0;owned\x07.jpg');
    writeFileSync(bad, 'not a photo');
    const e = await runCli(['verify', bad], env);
    expect(e.code).toBe(2);
    expect(e.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(e.stderr).not.toMatch(/[\x1b\x07]/);
  }, 120_000);
});
