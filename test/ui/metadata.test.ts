// IPTC metadata in the desk UI (web mode + Chromium): with review on, a dropped photo waits with its fields read
// from the file; the caption is edited (markup and unicode in it), the photo is signed, and the edited caption is
// in the signed copy, on the item in the Library and in the Verify result, shown as text.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { photo } from '../fixtures/photos.ts';
import { UI_WAIT, screenshot, useUi } from '../helpers/browser.ts';
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
    await form.getByLabel(/Keywords/).fill('flood, rain');
    await form.getByLabel('Digital source type').selectOption({ label: 'Digital capture (a camera)' });
    await screenshot(p, 'metadata-sign');
    await p.getByRole('button', { name: 'Sign flood.jpg' }).click();
    await expect.poll(() => p.getByTestId('receipt').count(), { ...UI_WAIT, timeout: 90_000 }).toBe(1);

    const [item] = ui.desk.items();
    expect(item!.details.metadata).toEqual({
      headline: 'Wire headline', caption: CAPTION, creator: 'Ada Lovelace', city: 'Bonn', keywords: ['flood', 'rain'],
      digitalSourceType: 'http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture',
    });
    const packet = (await sharp(readFileSync(item!.outputPath!)).metadata()).xmp!.toString('utf8');
    expect(packet).toContain('Flood &lt;b&gt;"Rhine"&lt;/b&gt; &amp; Mosel — Köln 🌊');

    await p.getByRole('button', { name: 'Open in the library' }).click();
    const view = p.getByTestId('item-detail').getByTestId('metadata-view');
    await view.waitFor(UI_WAIT);
    expect(await view.locator('dd.caption').textContent()).toBe(CAPTION);
    await screenshot(p, 'metadata-item');

    await p.getByRole('link', { name: 'Verify' }).click();
    const [vchooser] = await Promise.all([p.waitForEvent('filechooser'), p.getByRole('button', { name: 'Drop any copy to verify it' }).click()]);
    await vchooser.setFiles([item!.outputPath!]);
    const verified = p.getByTestId('metadata-view');
    await verified.waitFor({ timeout: 90_000 });
    expect(await verified.locator('dd.caption').textContent()).toBe(CAPTION);
    expect(await verified.locator('.metadata-source').textContent()).toContain('Signed in the Content Credentials');
    await screenshot(p, 'metadata-verify');
  }, 240_000);
});
