// Signing a photo the desk has signed before, in Chromium over web mode (issue 22): the Sign screen asks first,
// saying when and by whom it was signed and which record; Cancel leaves it unsigned, "Sign again" makes a second
// record; signing several files at once, each already-signed one says so on its own line while the others sign.
import { join } from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Desk } from '../../core/desk.ts';
import { sql } from '../../core/store/db.ts';
import { photo } from '../fixtures/photos.ts';
import { UI_WAIT, screenshot, useUi } from '../helpers/browser.ts';
import { tempDir } from '../helpers/cli.ts';
import { addUsers, testDesk } from '../helpers/workflow-desk.ts';

const dir = tempDir('custody-again-ui-');
const harbour = join(dir, 'harbour.jpg');
const cat = join(dir, 'cat.jpg');
let firstId = '';

const ui = useUi(async () => {
  const t = await testDesk();
  const users = await addUsers(t.desk, t.admin, { ed: ['editor'] });
  await sharp(photo('coffee.png')).jpeg({ quality: 92 }).toFile(harbour);
  await sharp(photo('chelsea.png')).jpeg({ quality: 92 }).toFile(cat);
  firstId = (await t.desk.sign(harbour, { actor: users.ed!, outDir: tempDir() })).recordId;
  return t.desk;
});

const fileInput = (p: Page) => p.getByRole('button', { name: 'Drop photos to sign, or choose files' }).getByTestId('file-input');
const recordsOf = (desk: Desk, name: string) => desk.store.all<{ id: string }>(sql`SELECT id FROM records WHERE input_name = ${name}`).map((r) => r.id);

beforeAll(async () => {
  await ui.page.getByLabel('User name').fill('ed');
  await ui.page.getByLabel('Password').fill('ed-tidal-lantern-42');
  await ui.page.getByRole('button', { name: 'Log in' }).click();
  await ui.page.getByTestId('user').waitFor();
});

describe('signing the same photo again', () => {
  it('asks, naming when, by whom and the record; Cancel leaves it unsigned', async () => {
    await fileInput(ui.page).setInputFiles([harbour]);
    const ask = ui.page.getByTestId('sign-again');
    await ask.waitFor(UI_WAIT);
    const text = await ask.textContent();
    expect(text).toContain('This photo was already signed on ');
    expect(text).toContain(`by ed (record ${firstId}). Sign it again as a new record?`);
    await screenshot(ui.page, 'sign-again');
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => ask.count(), UI_WAIT).toBe(0);
    const job = ui.page.getByTestId('sign-job').first();
    await expect.poll(() => job.locator('.job-state').textContent(), UI_WAIT).toBe('Not signed');
    expect(await job.getByRole('alert').textContent()).toContain(`Not signed again: This photo was already signed on`);
    expect(recordsOf(ui.desk, 'harbour.jpg')).toEqual([firstId]);
  });

  it('signs the others of a batch, reports the already-signed one on its line, and signs it again when told to', async () => {
    await fileInput(ui.page).setInputFiles([harbour, cat]);
    const jobs = ui.page.getByTestId('sign-job');
    const catJob = jobs.filter({ hasText: 'cat.jpg' });
    await expect.poll(() => catJob.locator('.job-state').textContent(), { ...UI_WAIT, timeout: 60_000 }).toBe('Signed');
    const harbourJob = jobs.filter({ hasText: 'harbour.jpg' }).first();
    await expect.poll(() => harbourJob.locator('.job-state').textContent(), UI_WAIT).toBe('Already signed');
    expect(await harbourJob.getByTestId('already').textContent()).toContain(`(record ${firstId})`);
    expect(await ui.page.getByRole('status').filter({ hasText: 'waiting for your answer' }).textContent()).toContain('1 already signed before');
    const ask = ui.page.getByTestId('sign-again');
    await ask.getByRole('button', { name: 'Sign again' }).click();
    await expect.poll(() => harbourJob.locator('.job-state').textContent(), { ...UI_WAIT, timeout: 60_000 }).toBe('Signed');
    const second = (await harbourJob.getByTestId('receipt').textContent())!.match(/rec_[0-9a-z]{26}/)![0];
    expect(second).not.toBe(firstId);
    expect(recordsOf(ui.desk, 'harbour.jpg').sort()).toEqual([firstId, second].sort());
    expect(recordsOf(ui.desk, 'cat.jpg')).toHaveLength(1);
  });

  it('raised no script errors and broke no content security policy', () => {
    expect(ui.errors).toEqual([]);
  });
});
