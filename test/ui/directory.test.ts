// The directory in a real browser (web mode + Chromium) against a real slapd: an admin sets it up in Settings →
// Directory and tests a login; an editor then logs in with their directory password and sees their mapped roles.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UI_WAIT, screenshots, useUi } from '../helpers/browser.ts';
import { SERVICE_PW, Slapd, loadNewsroom, newsroomConfig, slapdMissing } from '../helpers/slapd.ts';
import { testDesk } from '../helpers/workflow-desk.ts';

let slapd: Slapd;
const ui = useUi(async () => (await testDesk()).desk);

describe.skipIf(slapdMissing !== null)('the directory in the desk UI (real slapd)', () => {
  beforeAll(async () => {
    slapd = await Slapd.start();
    await loadNewsroom(slapd);
    await ui.page.getByLabel('User name').fill('ada');
    await ui.page.getByLabel('Password').fill('ada-tidal-lantern-42');
    await ui.page.getByRole('button', { name: 'Log in' }).click();
    await ui.page.getByTestId('user').waitFor();
  });
  afterAll(async () => {
    await slapd?.close();
  });

  it('lets an admin set the directory, refusing a bad configuration with the reason, and test a login', async () => {
    await ui.page.getByRole('link', { name: 'Settings' }).click();
    await ui.page.getByRole('button', { name: 'Directory' }).click();
    const editor = ui.page.getByLabel('Configuration');
    await expect.poll(async () => (JSON.parse(await editor.inputValue()) as { userFilter: string }).userFilter, UI_WAIT).toBe('(uid={user})');
    const config = newsroomConfig(slapd, { userFilter: '(uid=alice)' });
    await editor.fill(JSON.stringify(config, null, 2));
    await ui.page.getByLabel(/Service account password/).fill(SERVICE_PW);
    await ui.page.getByRole('button', { name: 'Save directory' }).click();
    await expect.poll(() => ui.page.getByRole('alert').textContent(), UI_WAIT).toMatch(/userFilter: expected the user filter to contain \{user\}/);
    expect(ui.desk.ldap.configured).toBe(false);

    await editor.fill(JSON.stringify({ ...config, userFilter: '(uid={user})' }, null, 2));
    await ui.page.getByRole('button', { name: 'Save directory' }).click();
    await ui.page.getByText(/^Saved\./).waitFor();
    expect(ui.desk.ldap.configured).toBe(true);

    await ui.page.getByLabel('User to try').fill('carol');
    await ui.page.getByLabel('Their password').fill('carol-pw');
    await ui.page.getByRole('button', { name: 'Test', exact: true }).click();
    await ui.page.getByText('carol would log in as editor, chief.').waitFor();
    await screenshots(ui.page, 'settings-directory');
  });

  it('logs an editor in with their directory password, with the roles their groups map to', async () => {
    await ui.page.getByRole('button', { name: 'Log out' }).click();
    await ui.page.getByText('Log in with your newsroom (directory) user name and password.').waitFor();
    await ui.page.getByLabel('User name').fill('alice');
    await ui.page.getByLabel('Password').fill('alice-pw');
    await ui.page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => ui.page.getByTestId('user').textContent(), UI_WAIT).toBe('alice (editor)');
  });

  it('raised no script errors and broke no content security policy', () => {
    expect(ui.errors).toEqual([]);
  });
});
