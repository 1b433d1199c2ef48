// IPTC metadata in the desk UI (web mode + Chromium): with review on, a dropped photo waits with its fields read
// from the file; the caption is edited (markup and unicode in it), the photo is signed, and the edited caption is
// in the signed copy (XMP and IPTC IIM), on the item in the Library and in the Verify result, shown as text. The
// three screens are shot at 1280×800 and 1920×1080, light and dark.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { photo } from '../fixtures/photos.ts';
import { readIimFields } from '../../core/media/iim.ts';
import type { PhotoMetadata } from '../../core/media/photo-metadata.ts';
import { UI_WAIT, screenshots, useUi } from '../helpers/browser.ts';
import { tempDir } from '../helpers/cli.ts';
import { tempDesk } from '../helpers/desk.ts';

const ui = useUi(() => tempDesk('UI Desk'));
const CAPTION = 'Flood <b>"Rhine"</b> & Mosel — Köln 🌊';

describe('metadata before signing', () => {
  it('edits the caption before signing and shows it on the item and in verify', async () => {
    const dir = tempDir();
    const src = join(dir, 'flood.jpg');
    const xmp = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:Headline="Wire headline" photoshop:City="Bonn"/></rdf:RDF></x:xmpmeta>';
    await sharp(photo('coffee.png')).jpeg({ quality: 90 }).withXmp(xmp).toFile(src);
    const p = ui.page;
    await p.getByRole('heading', { name: 'Sign', level: 1 }).waitFor();
    await p.getByLabel(/Check and edit each photo/).check();
    const [chooser] = await Promise.all([p.waitForEvent('filechooser'), p.getByRole('button', { name: 'Drop photos to sign, or choose files' }).click()]);
    await chooser.setFiles([src]);
    const form = p.getByTestId('metadata-fields');
    await form.waitFor(UI_WAIT);
    expect(await form.getByLabel('Headline').inputValue()).toBe('Wire headline');
    expect(await form.getByLabel('City').inputValue()).toBe('Bonn');
    await form.getByLabel('Caption').fill(CAPTION);
    await form.getByLabel('Creator (byline)').fill('Ada Lovelace');
    await form.getByLabel('Credit line').fill('Daily Planet / Ada Lovelace');
    await form.getByLabel('Copyright notice').fill('© 2026 Daily Planet');
    await form.getByLabel('Sublocation').fill('Altstadt');
    await form.getByLabel('Country').fill('Deutschland');
    await form.getByLabel(/Keywords/).fill('flood, rain, Überschwemmung');
    await form.getByLabel('Digital source type').selectOption({ label: 'Digital capture (a camera)' });
    await screenshots(p, 'metadata-sign');
    await p.getByRole('button', { name: 'Sign flood.jpg' }).click();
    await expect.poll(() => p.getByTestId('receipt').count(), { ...UI_WAIT, timeout: 90_000 }).toBe(1);

    const [item] = ui.desk.items();
    expect(item!.details.metadata).toEqual({
      headline: 'Wire headline', caption: CAPTION, creator: 'Ada Lovelace', credit: 'Daily Planet / Ada Lovelace', copyright: '© 2026 Daily Planet',
      sublocation: 'Altstadt', city: 'Bonn', country: 'Deutschland', keywords: ['flood', 'rain', 'Überschwemmung'],
      digitalSourceType: 'http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture',
    });
    const signed = await sharp(readFileSync(item!.outputPath!)).metadata();
    expect(signed.xmp!.toString('utf8')).toContain('Flood &lt;b&gt;"Rhine"&lt;/b&gt; &amp; Mosel — Köln 🌊');
    const { digitalSourceType, ...iimFields } = item!.details.metadata as PhotoMetadata;
    expect(digitalSourceType).toBeDefined(); // XMP only: IIM has no dataset for it
    expect(readIimFields(signed.iptc)).toEqual(iimFields);

    await p.getByRole('button', { name: 'Open in the library' }).click();
    const view = p.getByTestId('item-detail').getByTestId('metadata-view');
    await view.waitFor(UI_WAIT);
    expect(await view.locator('dd.caption').textContent()).toBe(CAPTION);
    await screenshots(p, 'metadata-item', () => view.scrollIntoViewIfNeeded());

    await p.getByRole('link', { name: 'Verify' }).click();
    const [vchooser] = await Promise.all([p.waitForEvent('filechooser'), p.getByRole('button', { name: 'Drop any copy to verify it' }).click()]);
    await vchooser.setFiles([item!.outputPath!]);
    const verified = p.getByTestId('metadata-view');
    await verified.waitFor({ timeout: 90_000 });
    expect(await verified.locator('dd.caption').textContent()).toBe(CAPTION);
    expect(await verified.locator('.metadata-source').textContent()).toContain('Signed in the Content Credentials');
    await screenshots(p, 'metadata-verify', () => verified.scrollIntoViewIfNeeded());
  }, 240_000);

  it('says under the receipt when a caption was too long for the IIM block, which the XMP keeps whole', async () => {
    const dir = tempDir();
    const src = join(dir, 'long.jpg');
    await sharp(photo('coffee.png')).resize(320).jpeg({ quality: 90 }).toFile(src);
    const long = `${'Hochwasser '.repeat(190)}Ende`; // 2,094 bytes, over IIM's 2,000
    const p = ui.page;
    await p.getByRole('link', { name: 'Sign' }).click();
    const review = p.getByLabel(/Check and edit each photo/);
    await review.waitFor(UI_WAIT);
    await review.check();
    const [chooser] = await Promise.all([p.waitForEvent('filechooser'), p.getByRole('button', { name: 'Drop photos to sign, or choose files' }).click()]);
    await chooser.setFiles([src]);
    const form = p.getByTestId('metadata-fields');
    await form.waitFor(UI_WAIT);
    await form.getByLabel('Caption').fill(long);
    await p.getByRole('button', { name: 'Sign long.jpg' }).click();
    const note = p.getByTestId('iim-truncated');
    await note.waitFor({ ...UI_WAIT, timeout: 90_000 });
    expect(await note.textContent()).toMatch(/^Shortened to fit the legacy IPTC \(IIM\) block: caption\. The XMP and the Content Credentials keep the full text\.$/);
    const item = ui.desk.items().find((i) => i.inputName === 'long.jpg')!;
    const signed = await sharp(readFileSync(item.outputPath!)).metadata();
    expect(readIimFields(signed.iptc).caption).toBe(long.slice(0, 2000).trim());
    expect(signed.xmp!.toString('utf8')).toContain(long);
  }, 240_000);
});
