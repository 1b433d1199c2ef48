// Settings → Hub in Chromium over web mode, against a real `custody hub serve` process: the panel shows what
// `custody hub status` shows; an admin connects the desk with the hub's address and an enrolment token (a wrong
// token is refused with the hub's reason and changes nothing), after which the signed record reaches the hub and
// the panel counts it delivered and its proof held.
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatVerifierKey, noteKeyOf, parseVerifierKey } from '../../core/tlog/note.ts';
import { photo } from '../fixtures/photos.ts';
import { UI_WAIT, screenshots, useUi } from '../helpers/browser.ts';
import { tempDir } from '../helpers/cli.ts';
import { tempDesk } from '../helpers/desk.ts';
import { HubProcess } from '../helpers/sync-hub.ts';

let hub: HubProcess;
let recordId = '';

beforeAll(async () => {
  hub = await HubProcess.create('Daily Planet');
}, 60_000);
afterAll(async () => {
  await hub?.close();
});

const ui = useUi(async () => {
  const desk = await tempDesk('Daily Planet');
  const src = join(tempDir(), 'quay.jpg');
  await sharp(photo('coffee.png')).jpeg({ quality: 90 }).toFile(src);
  recordId = (await desk.sign(src, { actor: desk.bootstrapActor()!, outDir: tempDir() })).recordId;
  return desk;
});

describe('Settings → Hub', () => {
  it('shows the desk unconnected, with the record waiting in the outbox', async () => {
    await ui.page.evaluate(() => (window.location.hash = '#/settings/hub'));
    const panel = ui.page.getByTestId('hub-panel');
    await panel.waitFor(UI_WAIT);
    expect(await panel.getByTestId('hub-link').textContent()).toMatch(/^Not connected/);
    expect(await panel.getByTestId('hub-kind-record').textContent()).toMatch(/^Signed records100$/);
  });

  it('refuses a wrong enrolment token with the reason, and stays unconnected', async () => {
    await ui.page.getByLabel('Hub address').fill(hub.url);
    await ui.page.getByLabel('Enrolment token').fill('not-a-real-enrolment-token');
    await ui.page.getByRole('button', { name: 'Connect' }).click();
    await expect.poll(() => ui.page.getByRole('alert').count(), UI_WAIT).toBeGreaterThan(0);
    expect(await ui.page.getByRole('alert').first().textContent()).toMatch(/token|enrol/i);
    expect(ui.desk.hub.link).toBeNull();
  });

  it('refuses a hub that signs with another key than the admin gave, and stays unconnected', async () => {
    const served = ((await (await fetch(`${hub.url}/v1/log/key`)).json()) as { key: string }).key;
    const other = formatVerifierKey(noteKeyOf(parseVerifierKey(served).name, new Uint8Array(32).fill(5)));
    await ui.page.getByLabel('Enrolment token').fill(await hub.enrolmentToken('ui wrong key'));
    await ui.page.getByLabel('Hub key from the hub admin (recommended)').fill(other);
    await ui.page.getByRole('button', { name: 'Connect' }).click();
    await expect.poll(async () => (await ui.page.getByRole('alert').allTextContents()).join(' '), UI_WAIT).toMatch(/CHECKPOINT_WRONG_KEY|sign its checkpoints with the key its admin gave/);
    expect(ui.desk.hub.link).toBeNull();
    await ui.page.getByLabel('Hub key from the hub admin (recommended)').fill(served);
  });

  it('connects through the form, and the record reaches the hub with its proof', async () => {
    const served = ((await (await fetch(`${hub.url}/v1/log/key`)).json()) as { key: string }).key;
    await ui.page.getByLabel('Enrolment token').fill(await hub.enrolmentToken('ui'));
    await ui.page.getByLabel('Desk name on the hub (optional)').fill('picture desk');
    await ui.page.getByRole('button', { name: 'Connect' }).click();
    const panel = ui.page.getByTestId('hub-panel');
    await expect.poll(() => panel.getByTestId('hub-link').textContent(), UI_WAIT).toContain(hub.url);
    expect(await panel.getByTestId('hub-link').textContent()).toMatch(/picture desk .* of Daily Planet/);
    expect(ui.desk.hub.link?.deskName).toBe('picture desk');
    expect(await panel.getByTestId('hub-log-key').textContent()).toBe(served);
    await expect.poll(async () => (await hub.records()).map((r) => r.id), { ...UI_WAIT, timeout: 60_000 }).toContain(recordId);
    await expect.poll(() => panel.getByTestId('hub-kind-record').textContent(), { ...UI_WAIT, timeout: 60_000 }).toMatch(/^Signed records010$/);
    await expect.poll(() => panel.getByTestId('hub-proofs').textContent(), { ...UI_WAIT, timeout: 60_000 }).toMatch(/^[1-9]\d* held/);
    expect(await panel.getByTestId('hub-proofs').textContent()).toMatch(/newest checkpoint of \d+ entries/);
    await screenshots(ui.page, 'settings-hub');
    // The audit log says who connected the desk.
    const { auditEntries } = await import('../../core/audit/log.ts');
    expect([...auditEntries(ui.desk.store)].some((e) => e.action === 'hub.connected' && e.actor === 'desk')).toBe(true);
  }, 120_000);

  it("shows a chain reference the chain refuted as a standing alarm, and the last chain check's outcome", async () => {
    // as the chain check leaves them (test/sync-chain-check.test.ts drives it against a real chain): a refuted
    // reference remembered, then served again twice, and a background run whose node did not answer
    const { rememberRefuted, servedAgain } = await import('../../core/sync/refuted-refs.ts');
    const { CHAIN_CHECK_LAST_SETTING } = await import('../../core/sync/chain-check.ts');
    const { setSetting } = await import('../../core/store/settings.ts');
    const db = ui.desk.store;
    const chain = { chainId: 31337, contract: `0x${'c'.repeat(40)}`, tx: `0x${'ab'.repeat(32)}`, block: 4242, timestamp: '2026-12-05T09:59:00Z' };
    db.transaction(() => rememberRefuted(db, { recordId }, { treeSize: 3, chain, code: 'ANCHOR_MISMATCH', message: 'forged', at: '2026-12-05T10:00:00.000Z' }));
    for (const at of ['2026-12-05T10:01:00.000Z', '2026-12-05T10:02:00.000Z']) db.transaction(() => servedAgain(db, { recordId }, 3, chain, at));
    setSetting(db, CHAIN_CHECK_LAST_SETTING, JSON.stringify({ at: '2026-12-05T10:03:00.000Z', by: 'sync', rpc: 'http://127.0.0.1:8545', outcome: 'unreachable', error: 'connect ECONNREFUSED 127.0.0.1:8545', checked: 0, confirmed: 0, refuted: 0, left: 1 }));
    const panel = ui.page.getByTestId('hub-panel');
    const standing = panel.getByTestId('hub-standing-alarm');
    await expect.poll(() => standing.count(), { ...UI_WAIT, timeout: 30_000 }).toBe(1);
    expect(await standing.textContent()).toMatch(new RegExp(`^Standing since .+ record ${recordId}: the hub keeps serving a chain reference the chain refuted \\(transaction 0x(ab){32}, block 4242, ANCHOR_MISMATCH\\); served again 2 time\\(s\\), not kept$`));
    expect(await panel.getByTestId('hub-chain-check').textContent()).toMatch(/^Last chain check .+ with http:\/\/127\.0\.0\.1:8545: the node did not answer \(connect ECONNREFUSED 127\.0\.0\.1:8545\); 0 checked, 0 confirmed, 0 refuted, 1 left unchecked$/);
  });

  it('raised no script errors and broke no content security policy', () => {
    expect(ui.errors).toEqual([]);
  });
});
