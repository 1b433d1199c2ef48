// The admin's screens in a real browser (web mode + Chromium): watched folders with live status, users, keys and
// certificates, workflow templates; getting around by keyboard; the dark theme; and a session that ends.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { photo } from '../fixtures/photos.ts';
import { UI_WAIT, screenshot, screenshots, useUi } from '../helpers/browser.ts';
import { tempDir } from '../helpers/cli.ts';
import { testDesk } from '../helpers/workflow-desk.ts';

const ui = useUi(async () => (await testDesk()).desk, { web: { hooks: { watch: { engine: { rescanMs: 500 } } } } });

beforeAll(async () => {
  await ui.page.getByLabel('User name').fill('ada');
  await ui.page.getByLabel('Password').fill('ada-tidal-lantern-42');
  await ui.page.getByRole('button', { name: 'Log in' }).click();
  await ui.page.getByTestId('user').waitFor();
});

describe('the admin screens', () => {
  it('gets around by keyboard: Alt+digit picks a screen, focus lands on its heading, Enter opens the picker', async () => {
    await ui.page.keyboard.press('Alt+2');
    await ui.page.getByRole('heading', { name: 'Library', level: 1 }).waitFor();
    await expect.poll(() => ui.page.evaluate(() => document.activeElement?.textContent), UI_WAIT).toBe('Library');
    await ui.page.keyboard.press('Alt+1');
    await expect.poll(() => ui.page.evaluate(() => document.activeElement?.textContent), UI_WAIT).toBe('Sign');
    // From the heading, the next stop is the drop zone.
    await ui.page.keyboard.press('Tab');
    await expect.poll(() => ui.page.evaluate(() => document.activeElement?.getAttribute('aria-label')), UI_WAIT).toBe('Drop photos to sign, or choose files');
    // Enter reaches the (multiple) file input. Listening for its click rather than for Chromium's file-chooser
    // event keeps this deterministic on a loaded machine, where that event arrived after 30 s once.
    await ui.page.evaluate(() => {
      const input = document.querySelector<HTMLInputElement>('[aria-label="Drop photos to sign, or choose files"] [data-testid="file-input"]');
      if (!input) throw new Error('no file input in the drop zone');
      (window as unknown as { picked?: boolean }).picked = false;
      input.addEventListener('click', (e) => {
        (window as unknown as { picked?: boolean }).picked = input.multiple;
        e.preventDefault();
      });
    });
    await ui.page.keyboard.press('Enter');
    await expect.poll(() => ui.page.evaluate(() => (window as unknown as { picked?: boolean }).picked), UI_WAIT).toBe(true);
  });

  it('adds a watched folder and shows each file it signs, live; then stops and removes it', async () => {
    const root = tempDir();
    const inDir = join(root, 'card');
    mkdirSync(inDir);
    // Hot folders live under the roots an admin allows, set in Settings → Organisation; the desk's home is refused.
    await ui.page.getByRole('link', { name: 'Settings' }).click();
    await ui.page.getByRole('button', { name: 'Organisation' }).click();
    const roots = ui.page.getByLabel('Allowed root folders');
    await roots.fill(ui.desk.home);
    await ui.page.getByRole('button', { name: 'Save allowed roots' }).click();
    await expect.poll(() => ui.page.getByRole('alert').textContent(), UI_WAIT).toMatch(/PATH_NOT_ALLOWED|desk/);
    expect(ui.desk.allowedRoots).toEqual([]);
    await roots.fill(root);
    await ui.page.getByRole('button', { name: 'Save allowed roots' }).click();
    await expect.poll(() => ui.desk.allowedRoots.length, UI_WAIT).toBe(1);
    await ui.page.getByRole('link', { name: 'Watch folders' }).click();
    await ui.page.getByLabel('Folder to watch').fill(inDir);
    await ui.page.getByLabel('Output folder').fill(join(root, 'signed'));
    await ui.page.getByRole('button', { name: 'Add folder' }).click();
    const folder = ui.page.getByTestId('watch-folder');
    await expect.poll(() => folder.locator('.badge').textContent(), UI_WAIT).toBe('Watching');

    await sharp(photo('rocket.jpg')).jpeg().toFile(join(inDir, 'launch.jpg'));
    await expect.poll(() => folder.locator('.recent li').first().textContent(), UI_WAIT).toMatch(/launch\.jpg: signed \(rec_[0-9a-z]{26}\)/);
    expect(await folder.locator('.counts').textContent()).toBe('1 signed');
    expect(readdirSync(inDir)).toEqual([]);
    await screenshots(ui.page, 'watch-folders');

    await folder.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => folder.locator('.badge').textContent(), UI_WAIT).toBe('Stopped');
    await folder.getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => ui.page.getByTestId('watch-folder').count(), UI_WAIT).toBe(0);
  });

  it('adds a user with roles, and refuses a name the directory would not take, saying why', async () => {
    await ui.page.getByRole('link', { name: 'Settings' }).click();
    await ui.page.getByRole('button', { name: 'Users' }).click();
    const form = ui.page.getByRole('form', { name: 'Add a user' });
    await form.getByLabel('Name').fill('lee');
    await form.getByLabel('Password').fill('lee-tidal-lantern-42');
    await form.getByLabel('editor').uncheck();
    await form.getByLabel('legal').check();
    await form.getByRole('button', { name: 'Add user' }).click();
    await expect.poll(() => ui.page.getByTestId('user-row').count(), UI_WAIT).toBe(2);
    expect(await ui.page.getByTestId('user-row').filter({ hasText: 'lee' }).textContent()).toMatch(/lee.*legal.*active/);
    expect(ui.desk.directory.get('lee')?.roles).toEqual(['legal']);

    await form.getByLabel('Name').fill('desk');
    await form.getByLabel('Password').fill('desk-tidal-lantern-42');
    await form.getByRole('button', { name: 'Add user' }).click();
    await expect.poll(() => ui.page.getByRole('alert').textContent(), UI_WAIT).toMatch(/other than desk, anonymous, system/);
    await screenshots(ui.page, 'settings-users');
  });

  it('shows the signing keys and the certificate chain', async () => {
    await ui.page.getByRole('button', { name: 'Keys & certificates' }).click();
    const key = ui.desk.keys()[0]!;
    await ui.page.getByRole('cell', { name: key.id }).waitFor();
    expect(await ui.page.locator('table').nth(1).textContent()).toContain('Test Newsroom');
    await screenshots(ui.page, 'settings-keys');
  });

  it('sets the time-stamp authority, refusing a URL that is not http(s) with the reason', async () => {
    await ui.page.getByRole('button', { name: 'Organisation' }).click();
    const field = ui.page.getByLabel('TSA URL');
    await field.fill('ftp://tsa.example.com/tsr');
    await ui.page.getByRole('button', { name: 'Save TSA' }).click();
    await expect.poll(() => ui.page.getByRole('alert').textContent(), UI_WAIT).toMatch(/expected an http or https TSA URL/);
    expect(ui.desk.tsa.url).toBeNull();
    await field.fill('https://tsa.example.com/tsr');
    await ui.page.getByRole('button', { name: 'Save TSA' }).click();
    await expect.poll(() => ui.desk.tsa.url, UI_WAIT).toBe('https://tsa.example.com/tsr');
    await ui.page.getByLabel('TSA root certificates (PEM)').fill(ui.desk.orgRootPem().match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/)![0]);
    await ui.page.getByRole('button', { name: 'Replace TSA roots' }).click();
    await ui.page.getByText('1 trusted TSA root certificate(s)').waitFor();
    await field.fill('');
    await ui.page.getByRole('button', { name: 'Save TSA' }).click();
    await expect.poll(() => ui.desk.tsa.url, UI_WAIT).toBeNull();
  });

  it('edits a workflow template as JSON, refusing an invalid one with the reason', async () => {
    await ui.page.getByRole('button', { name: 'Workflow templates' }).click();
    const editor = ui.page.getByLabel('Definition');
    await expect.poll(async () => JSON.parse(await editor.inputValue()).name, UI_WAIT).toBe('news');
    const news = JSON.parse(await editor.inputValue()) as { stages: unknown[] };
    await editor.fill(JSON.stringify({ ...news, name: 'wire', description: 'Wire pictures: chief only.', stages: [{ id: 'chief', roles: ['chief'], quorum: 1 }] }));
    await ui.page.getByRole('button', { name: 'Save template' }).click();
    await ui.page.getByText('Saved wire, version 1.').waitFor();
    expect(ui.desk.workflow.template('wire').template.stages.map((s) => s.id)).toEqual(['chief']);

    await editor.fill(JSON.stringify({ ...news, name: 'broken', stages: [] }));
    await ui.page.getByRole('button', { name: 'Save template' }).click();
    await expect.poll(() => ui.page.getByRole('alert').textContent(), UI_WAIT).toMatch(/templateSave: template\.stages/);
    expect(ui.desk.workflow.templates().map((t) => t.template.name)).toEqual(['news', 'wire']);
  });

  it('switches to the dark theme and keeps it', async () => {
    await ui.page.getByRole('button', { name: 'Appearance' }).click();
    await ui.page.getByLabel('Dark').check();
    await expect.poll(() => ui.page.evaluate(() => document.documentElement.dataset.theme), UI_WAIT).toBe('dark');
    // The header's menu shows the same choice, and a choice made there shows here.
    expect(await ui.page.getByLabel('Theme').inputValue()).toBe('dark');
    await ui.page.getByLabel('Theme').selectOption('light');
    await expect.poll(() => ui.page.getByLabel('Light').isChecked(), UI_WAIT).toBe(true);
    await ui.page.getByLabel('Dark').check();
    const bg = await ui.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe('rgb(15, 19, 24)');
    await ui.page.reload();
    await expect.poll(() => ui.page.evaluate(() => document.documentElement.dataset.theme), UI_WAIT).toBe('dark');
    await ui.page.getByRole('link', { name: 'Library' }).click();
    await screenshot(ui.page, 'dark-library');
    await ui.page.getByRole('link', { name: 'Settings' }).click();
    await ui.page.getByRole('button', { name: 'Appearance' }).click();
    await ui.page.getByLabel('As the system').check();
  });

  it('goes back to the login screen when the session ends elsewhere', async () => {
    // A session ended behind the page's back (here: by logging the user out on the server) sends it to the login.
    const token = (await ui.page.context().cookies()).find((c) => c.name === ui.web.cookieName)?.value;
    expect(token).toBeTruthy();
    ui.desk.directory.logout(token!);
    await ui.page.getByRole('link', { name: 'Audit' }).click();
    await ui.page.getByRole('button', { name: 'Log in' }).waitFor();
  });

  it('raised no script errors and broke no content security policy', () => {
    expect(ui.errors).toEqual([]);
  });
});
