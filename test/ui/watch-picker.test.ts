// Choosing a watched folder in web mode (Chromium), where there is no native dialog: the form's examples are this
// machine's paths under the allowed root, "Choose folder…" opens the desk's own folder browser, which lists the
// sub-folders under the allowed roots and nothing else (no files, no hidden folder, no symlink leading out), and the
// folders picked there are added as a watched folder.
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { listWatchFolders } from '../../core/watch/folders.ts';
import { UI_WAIT, screenshots, useUi } from '../helpers/browser.ts';
import { tempDir } from '../helpers/cli.ts';
import { addUsers, testDesk } from '../helpers/workflow-desk.ts';

const root = realpathSync(tempDir('custody-roots-'));
const outside = realpathSync(tempDir('custody-outside-'));

const ui = useUi(async () => {
  const t = await testDesk();
  await addUsers(t.desk, t.admin, { ed: ['editor'] });
  for (const d of ['card/DCIM', 'signed', '.thumbnails']) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'card', 'notes.txt'), 'a file, not a folder');
  mkdirSync(join(outside, 'elsewhere'));
  symlinkSync(outside, join(root, 'card', 'escape'));
  t.desk.setAllowedRoots(t.admin, [root]);
  return t.desk;
});

beforeAll(async () => {
  await ui.page.getByLabel('User name').fill('ed');
  await ui.page.getByLabel('Password').fill('ed-tidal-lantern-42');
  await ui.page.getByRole('button', { name: 'Log in' }).click();
  await ui.page.getByTestId('user').waitFor();
});

describe('choosing a watched folder in the browser', () => {
  it("shows this machine's example paths, not another platform's", async () => {
    await ui.page.getByRole('link', { name: 'Watch folders' }).click();
    const input = ui.page.getByLabel('Folder to watch');
    await expect.poll(() => input.getAttribute('placeholder'), UI_WAIT).toBe(join(root, 'Incoming'));
    expect(await ui.page.getByLabel('Output folder').getAttribute('placeholder')).toBe(join(root, 'Signed'));
    expect(await ui.page.locator('[placeholder*="/Users/"], [placeholder*="/Volumes/"]').count()).toBe(0);
  });

  it('browses the allowed root, picks the folders there and adds the watched folder', async () => {
    await ui.page.getByRole('button', { name: 'Choose folder… for watching' }).click();
    const picker = ui.page.getByTestId('folder-picker');
    await picker.waitFor(UI_WAIT);
    const folders = picker.getByRole('list', { name: 'Folders' }).getByRole('button');
    await expect.poll(() => folders.allTextContents(), UI_WAIT).toEqual([root]);
    // "Choose this folder" needs a folder, not the list of roots.
    expect(await picker.getByRole('button', { name: 'Choose this folder' }).isDisabled()).toBe(true);
    await folders.getByText(root).click();
    await expect.poll(() => folders.allTextContents(), UI_WAIT).toEqual(['↑ Up', 'card/', 'signed/']);
    await folders.getByText('card/').click();
    // The file is not listed, nor the symlink that leads out of the root.
    await expect.poll(() => folders.allTextContents(), UI_WAIT).toEqual(['↑ Up', 'DCIM/']);
    await folders.getByText('DCIM/').click();
    await expect.poll(() => picker.getByTestId('folder-picker-at').textContent(), UI_WAIT).toBe(join(root, 'card', 'DCIM'));
    await screenshots(ui.page, 'watch-folder-picker');
    await picker.getByRole('button', { name: 'Choose this folder' }).click();
    await expect.poll(() => picker.count(), UI_WAIT).toBe(0);
    expect(await ui.page.getByLabel('Folder to watch').inputValue()).toBe(join(root, 'card', 'DCIM'));

    await ui.page.getByRole('button', { name: 'Choose folder… for signed copies' }).click();
    await folders.getByText(root).click();
    await folders.getByText('signed/').click();
    await expect.poll(() => picker.getByTestId('folder-picker-at').textContent(), UI_WAIT).toBe(join(root, 'signed'));
    await picker.getByRole('button', { name: 'Choose this folder' }).click();
    expect(await ui.page.getByLabel('Output folder').inputValue()).toBe(join(root, 'signed'));

    await ui.page.getByLabel('Start watching now').uncheck();
    await ui.page.getByRole('button', { name: 'Add folder' }).click();
    await expect.poll(() => ui.page.getByTestId('watch-folder').locator('h3').textContent(), UI_WAIT).toBe(join(root, 'card', 'DCIM'));
    expect(listWatchFolders(ui.desk.store).map((f) => [f.path, f.outDir, f.createdBy])).toEqual([[join(root, 'card', 'DCIM'), join(root, 'signed'), 'ed']]);
  });

  it('closes with Cancel, and the desk refuses a folder outside the root typed by hand', async () => {
    await ui.page.getByRole('button', { name: 'Choose folder… for watching' }).click();
    const picker = ui.page.getByTestId('folder-picker');
    await picker.waitFor(UI_WAIT);
    await picker.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => picker.count(), UI_WAIT).toBe(0);
    await ui.page.getByLabel('Folder to watch').fill(join(outside, 'elsewhere'));
    await ui.page.getByLabel('Output folder').fill(join(root, 'signed-2'));
    await ui.page.getByRole('button', { name: 'Add folder' }).click();
    await expect.poll(() => ui.page.getByRole('form', { name: 'Add a watched folder' }).getByRole('alert').textContent(), UI_WAIT).toMatch(/PATH_NOT_ALLOWED|allowed roots/);
    expect(await ui.page.getByTestId('watch-folder').count()).toBe(1);
  });

  it('raised no script errors and broke no content security policy', () => {
    expect(ui.errors).toEqual([]);
  });
});
