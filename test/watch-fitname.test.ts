// fitName: the shorter name under which the watch queue places a file whose name leaves no room for the suffixes
// it adds; and which file-system failures about a name are permanent.
import { describe, expect, it } from 'vitest';
import { ioError } from '../core/watch/fs.ts';
import { fitName, fitRel } from '../core/watch/paths.ts';
import { classify } from '../core/watch/steps.ts';

const bytes = (s: string) => Buffer.byteLength(s);

describe('fitName', () => {
  it('keeps a name that leaves room for the suffixes, as it is', () => {
    for (const n of ['photo.jpg', 'é'.repeat(100) + '.jpg', `${'a'.repeat(211)}.jpg`]) expect(fitName(n)).toBe(n);
  });

  it('cuts a longer one to 215 bytes at a character boundary, with a hash of the whole name and its extension', () => {
    const names = [`${'g'.repeat(246)}.jpg`, `${'a'.repeat(212)}.jpg`, `${'é'.repeat(125)}.jpeg`, `${'📷'.repeat(63)}.heic`, 'x'.repeat(255), `${'y'.repeat(200)}.${'z'.repeat(40)}`];
    for (const n of names) {
      const f = fitName(n);
      expect(bytes(f), n).toBeLessThanOrEqual(215);
      expect(bytes(f), n).toBeGreaterThan(200);
      expect(f).not.toContain('\uFFFD');
      expect(Buffer.from(f).toString('utf8')).toBe(f);
      expect(f).toMatch(/~[0-9a-f]{8}(\.[a-z]+)?$/);
      expect(fitName(n)).toBe(f);
    }
    expect(fitName(`${'é'.repeat(125)}.jpeg`).endsWith('.jpeg')).toBe(true);
    // An extension too long to be one is not kept.
    expect(fitName(`${'y'.repeat(200)}.${'z'.repeat(40)}`)).toMatch(/~[0-9a-f]{8}$/);
    // Two long names with the same beginning stay apart.
    expect(fitName(`${'s'.repeat(240)}1.jpg`)).not.toBe(fitName(`${'s'.repeat(240)}2.jpg`));
  });

  it('fits only the last part of a relative path', () => {
    const long = `${'d'.repeat(250)}.jpg`;
    expect(fitRel(`card/${long}`)).toBe(`card/${fitName(long)}`);
    expect(fitRel('card/photo.jpg')).toBe('card/photo.jpg');
  });
});

describe('classify', () => {
  it('treats a name the file system refuses as permanent, also when wrapped in IO_ERROR', () => {
    for (const code of ['ENAMETOOLONG', 'EINVAL', 'EILSEQ']) {
      const e = Object.assign(new Error(`${code}: refused`), { code });
      expect(classify(e).kind).toBe('permanent');
      expect(classify(ioError('write x', e)).kind).toBe('permanent');
    }
    expect(classify(Object.assign(new Error('ENOSPC: no space'), { code: 'ENOSPC' })).kind).toBe('transient');
  });
});
