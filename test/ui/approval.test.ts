// Two users take an item through approval in a real browser (web mode + Chromium): the editor logs in, signs and
// submits; the desk chief logs in, approves at each stage and publishes; the audit screen shows who did what, the
// log checks out intact, and its export downloads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { parseJsonl } from '../../core/audit/export.ts';
import { photo } from '../fixtures/photos.ts';
import { UI_WAIT, screenshots, useUi } from '../helpers/browser.ts';
import { tempDir } from '../helpers/cli.ts';
import { addUsers, testDesk } from '../helpers/workflow-desk.ts';

let item: string;

const ui = useUi(async () => {
  const { desk } = await testDesk();
  await addUsers(desk, { name: 'ada', roles: ['admin'] }, { erin: ['editor'], chris: ['editor', 'chief'] });
  return desk;
}, { acceptDownloads: true, goto: false });

async function logIn(name: string, password = `${name}-tidal-lantern-42`): Promise<void> {
  await ui.page.getByLabel('User name').fill(name);
  await ui.page.getByLabel('Password').fill(password);
  await ui.page.getByRole('button', { name: 'Log in' }).click();
}

async function logOut(): Promise<void> {
  await ui.page.getByRole('button', { name: 'Log out' }).click();
  await ui.page.getByRole('button', { name: 'Log in' }).waitFor();
}

const detail = () => ui.page.getByTestId('item-detail');
const stateBadge = () => detail().getByTestId('item-state');

describe('approval in the browser', () => {
  it('asks who is acting, and says so plainly when the password is wrong', async () => {
    await ui.page.goto(ui.web.url);
    await ui.page.getByRole('heading', { name: 'Custody' }).waitFor();
    await logIn('erin', 'not-the-tidal-lantern-42');
    expect(await ui.page.getByRole('alert').textContent()).toMatch(/do not match/);
    await screenshots(ui.page, 'login');
    expect(ui.desk.audit.verify().entries).toBeGreaterThan(0);
  });

  it('lets the editor sign a photo and submit it for approval', async () => {
    await logIn('erin');
    expect(await ui.page.getByTestId('user').textContent()).toBe('erin (editor)');
    const src = join(tempDir(), 'flood.jpg');
    await sharp(photo('chelsea.png')).jpeg({ quality: 90 }).toFile(src);
    await ui.page.getByRole('button', { name: 'Drop photos to sign, or choose files' }).getByTestId('file-input').setInputFiles(src);
    const receipt = ui.page.getByTestId('receipt');
    await receipt.waitFor({ timeout: 30_000 });
    item = /rec_[0-9a-z]{26}/.exec((await receipt.textContent()) ?? '')![0];
    await receipt.getByRole('button', { name: 'Open in the library' }).click();

    await detail().getByRole('heading', { name: 'flood.jpg' }).waitFor();
    expect(await stateBadge().textContent()).toBe('Not submitted');
    // Exactly what can() allows a draft's editor: submitting, nothing else.
    expect(await detail().getByTestId('actions').getByRole('button').allTextContents()).toEqual(['Submit for approval']);
    expect(await detail().getByRole('button', { name: 'Add comment' }).count()).toBe(1);
    await detail().getByLabel('Classification').selectOption('public');
    await detail().getByLabel('Note for reviewers').fill('For the front page');
    await detail().getByRole('button', { name: 'Submit for approval' }).click();
    await expect.poll(() => stateBadge().textContent(), UI_WAIT).toBe('In review · desk');
    // The classification chosen at submission is shown with its label, not as a bare word.
    expect(await detail().getByLabel('Workflow').textContent()).toContain('Classification: public');
    // Four-eyes: she may not approve her own submission, so the button is not there.
    expect(await detail().getByRole('button', { name: /^Approve/ }).count()).toBe(0);
    await detail().getByLabel('Comment', { exact: true }).fill('Caption to follow.');
    await detail().getByRole('button', { name: 'Add comment', exact: true }).click();
    await detail().locator('.history').getByText('Caption to follow.').waitFor();
    await logOut();
  });

  it('lets the desk chief approve at both stages and publish', async () => {
    await logIn('chris');
    await ui.page.getByRole('link', { name: /Approvals/ }).click();
    const queue = ui.page.getByTestId('queue-item');
    await expect.poll(() => queue.count(), UI_WAIT).toBe(1);
    expect(await ui.page.locator('nav .count').textContent()).toBe('1');
    expect(await queue.first().textContent()).toMatch(/flood\.jpg.*In review · desk.*Submitted by erin/);
    await screenshots(ui.page, 'approvals-queue');
    await queue.first().click();
    await detail().getByRole('heading', { name: 'flood.jpg' }).waitFor();
    expect(await detail().locator('.history').textContent()).toMatch(/Submitted \(desk\) by erin.*For the front page.*Commented by erin.*Caption to follow\./);

    await detail().getByLabel(/^Comment/).fill('Sharp, well framed.');
    await detail().getByRole('button', { name: 'Approve (desk)' }).click();
    await expect.poll(() => stateBadge().textContent(), UI_WAIT).toBe('In review · chief');
    await detail().getByRole('button', { name: 'Approve (chief)' }).click();
    await expect.poll(() => stateBadge().textContent(), UI_WAIT).toBe('Approved');
    await detail().getByRole('button', { name: 'Publish' }).click();
    await expect.poll(() => stateBadge().textContent(), UI_WAIT).toBe('Published');
    expect(await detail().getByRole('link', { name: 'Download published file' }).count()).toBe(1);
    expect(await detail().locator('.route .stage.done').count()).toBe(3);
    await screenshots(ui.page, 'approvals-published');

    const history = ui.desk.workflow.status(null, item).history.map((h) => `${h.actor}:${h.event}`);
    expect(history).toEqual(['erin:submit', 'chris:approve', 'chris:approve', 'chris:publish']);
    await expect.poll(() => ui.page.getByTestId('queue-item').count(), UI_WAIT).toBe(0);
  });

  it('shows the audit entries of each step with its actor, checks the log and exports it', async () => {
    await ui.page.getByRole('link', { name: 'Audit' }).click();
    await ui.page.getByLabel('Subject').fill(item);
    const rows = ui.page.getByTestId('audit-row');
    await expect.poll(async () => (await rows.allTextContents()).length, UI_WAIT).toBe(6);
    const seen = (await rows.evaluateAll((trs) => trs.map((tr) => `${tr.children[2]!.textContent}:${tr.children[3]!.textContent}`)));
    expect(seen).toEqual([
      'chris:workflow.publish', 'chris:workflow.approve', 'chris:workflow.approve', 'erin:item.commented', 'erin:workflow.submit', 'erin:record.signed',
    ]);
    await ui.page.getByRole('button', { name: 'Check integrity' }).click();
    const integrity = ui.page.getByTestId('integrity');
    await integrity.waitFor();
    expect(await integrity.locator('h3').textContent()).toBe('The audit log is intact.');
    expect(await integrity.textContent()).toContain('The workflow item replays to its stored state.');
    await screenshots(ui.page, 'audit');

    const [download] = await Promise.all([ui.page.waitForEvent('download'), ui.page.getByRole('button', { name: 'Export JSON Lines' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^custody-audit-.*\.jsonl$/);
    const entries = parseJsonl(readFileSync((await download.path())!, 'utf8'));
    expect(entries.at(-1)).toMatchObject({ actor: 'chris', action: 'audit.exported' });
    expect(entries.filter((e) => e.subject === item).map((e) => e.action)).toContain('workflow.publish');
  });

  it('raised no script errors and broke no content security policy', () => {
    expect(ui.errors).toEqual([]);
  });
});
