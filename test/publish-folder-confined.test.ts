// Publishing writes beside the signed copy unless told where (found in review): that folder was not checked again,
// so whoever could write its parent swapped it for a link to the desk's own data folder, and the published file was
// written there. The signed copy's folder is now confined like any folder asked for.
import { mkdirSync, readdirSync, renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { approveAndPublish, tempDesk } from './helpers/desk.ts';

describe("publishing into the signed copy's folder", () => {
  it('refuses the folder once it leads into the desk\'s data folder, and publishes there while it is the folder it was', { timeout: 60_000 }, async () => {
    const desk = await tempDesk();
    try {
      const work = tempDir();
      const out = join(work, 'out');
      mkdirSync(out);
      const src = join(work, 'desk.png');
      await sharp(photo('astronaut.png')).toFile(src);
      const r = await desk.sign(src, { actor: desk.bootstrapActor()!, outDir: out });
      // the folder swapped for a link to the desk's data folder, the signed copy moved along so that it is still found
      renameSync(out, join(work, 'out-real'));
      symlinkSync(desk.home, out);
      renameSync(join(work, 'out-real', 'desk.signed.png'), join(desk.home, 'desk.signed.png'));
      await expect(approveAndPublish(desk, r.recordId, undefined as unknown as string)).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
      expect(readdirSync(desk.home).filter((n) => n.includes('published'))).toEqual([]);
    } finally {
      desk.close();
    }
    // the ordinary case: published beside the signed copy
    const plain = await tempDesk();
    try {
      const work = tempDir();
      const src = join(work, 'p.png');
      await sharp(photo('camera.png')).toFile(src);
      const r = await plain.sign(src, { actor: plain.bootstrapActor()!, outDir: work });
      const { receipt } = await approveAndPublish(plain, r.recordId, undefined as unknown as string);
      expect(receipt.output).toBe(join(work, 'p.published.png'));
    } finally {
      plain.close();
    }
  });
});
