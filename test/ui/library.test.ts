// The Library as a picture desk uses it, in a real browser (web mode + Chromium) over one desk with five users:
// keyboard navigation, the loupe at a true 100 % (natural pixels = rendered pixels) panned by keys and by dragging,
// the signed copy against its original, Shift/Ctrl selection and bulk work with one result per item, the selection
// as a ZIP holding exactly those files' bytes, the buttons each role sees (from the desk's policy), who signed
// where, each item's anchoring state, saved views kept per user; screenshots at 1280×800 and 1920×1080, light and dark.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../core/store/db.ts';
import { markDelivered, outboxOfRecord, parkRow } from '../../core/sync/outbox.ts';
import { photo } from '../fixtures/photos.ts';
import { UI_WAIT, screenshots, useUi } from '../helpers/browser.ts';
import { tempDir } from '../helpers/cli.ts';
import { addUsers, testDesk } from '../helpers/workflow-desk.ts';

/** name → record id, and the order the Library shows them in (newest first). */
const ids: Record<string, string> = {};
const inputs: Record<string, string> = {};
const NAMES = ['harbour.jpg', 'cat.jpg', 'rocket.jpg', 'astronaut.jpg'] as const;

const ui = useUi(async () => {
  const { desk, admin } = await testDesk();
  const users = await addUsers(desk, admin, { erin: ['editor'], chris: ['editor', 'chief'], vic: ['viewer'] });
  const dir = tempDir();
  const out = tempDir();
  const sources: Record<(typeof NAMES)[number], () => ReturnType<typeof sharp>> = {
    // Larger than the preview, so that fitted and 100 % differ.
    'harbour.jpg': () => sharp(photo('coffee.png')).resize(2400, 1600),
    'cat.jpg': () => sharp(photo('chelsea.png')),
    'rocket.jpg': () => sharp(photo('rocket.jpg')),
    'astronaut.jpg': () => sharp(photo('astronaut.png')),
  };
  for (const [i, name] of NAMES.entries()) {
    inputs[name] = join(dir, name);
    await sources[name]().jpeg({ quality: 88 }).toFile(inputs[name]);
    const r = await desk.sign(inputs[name], { actor: users.erin!, outDir: out, now: new Date(Date.UTC(2026, 11, 1, 9, 0, 10 - i)) });
    ids[name] = r.recordId;
  }
  return desk;
}, { acceptDownloads: true, goto: false });

const page = () => ui.page;
const tiles = () => ui.page.getByTestId('library-item');
const detail = () => ui.page.getByTestId('item-detail');
const tileOf = (name: string) => tiles().filter({ hasText: name });
const currentId = () => ui.page.evaluate(() => /#\/library\/(rec_[0-9a-z]+)/.exec(window.location.hash)?.[1] ?? null);

async function logIn(name: string): Promise<void> {
  await page().goto(ui.web.url);
  // Wait until the page shows either the login form or a session; asking before it renders reads neither.
  const logOut = page().getByRole('button', { name: 'Log out' });
  await logOut.or(page().getByLabel('User name')).first().waitFor(UI_WAIT);
  if (await logOut.count()) await logOut.click();
  await page().getByLabel('User name').fill(name);
  await page().getByLabel('Password').fill(`${name}-tidal-lantern-42`);
  await page().getByRole('button', { name: 'Log in' }).click();
  await page().getByTestId('user').waitFor();
  await page().getByRole('link', { name: 'Library' }).click();
  await tiles().nth(3).waitFor(UI_WAIT);
}

/** Both sizes, light and dark, of what the page shows now. */
const shots = (name: string): Promise<void> => screenshots(page(), `library-${name}`);

const buttons = async (): Promise<string[]> => (await detail().locator('[data-testid="actions"] button, [data-testid="no-actions"]').allTextContents()).map((t) => t.trim());

describe('the Library in the browser', () => {
  beforeAll(async () => {
    // The hub's answers as the sync worker stores them (core/sync): a link, then one record refused, one in the log,
    // one anchored on chain; the fourth still waits to be pushed. Written once web mode runs, so that its sync
    // worker (which would need the hub's API key) does not start on this stand-in link.
    const at = '2026-12-01T10:00:00.000Z';
    ui.desk.store.run(sql`INSERT INTO hub_link (id, url, desk_id, desk_name, org, tenant_id, api_key_id, connected_at) VALUES (1, 'http://127.0.0.1:9', 'desk_1', 'desk-3', 'Test Newsroom', 't1', 'k1', ${at})`);
    parkRow(ui.desk.store, outboxOfRecord(ui.desk.store, ids['cat.jpg']!)!.seq, 'RECORD_FORGED', 'the signature does not verify with the registered key', at);
    for (const name of ['rocket.jpg', 'astronaut.jpg']) markDelivered(ui.desk.store, [{ seq: outboxOfRecord(ui.desk.store, ids[name]!)!.seq, hubSeq: 1, status: 'accepted' }], at);
    const chain = JSON.stringify({ chainId: 137, contract: `0x${'ab'.repeat(20)}`, tx: `0x${'cd'.repeat(32)}`, block: 4242, timestamp: '2026-12-01T10:05:00.000Z' });
    ui.desk.store.run(sql`INSERT INTO hub_proofs (record_id, leaf_index, tree_size, proof, chain, received_at) VALUES (${ids['astronaut.jpg']!}, 3, 9, 'proof', ${chain}, ${at})`);
    ui.desk.store.run(sql`INSERT INTO hub_proofs (record_id, leaf_index, tree_size, proof, chain, received_at) VALUES (${ids['rocket.jpg']!}, 2, 9, 'proof', NULL, ${at})`);
    await logIn('erin');
  });

  it("shows each item's anchoring state: pending, in the log, anchored with its chain reference, refused with the reason", async () => {
    const state = async (name: string) => tileOf(name).getByTestId('anchor-badge').getAttribute('data-state');
    expect(await state('harbour.jpg')).toBe('pending');
    expect(await state('cat.jpg')).toBe('refused');
    expect(await state('rocket.jpg')).toBe('logged');
    expect(await state('astronaut.jpg')).toBe('anchored');
    expect(await tileOf('astronaut.jpg').getByTestId('anchor-badge').textContent()).toMatch(/^Anchored /);
    // The detail pane loads the clicked item after the click returns: wait for it rather than read the last one.
    const detailBadge = () => detail().getByTestId('anchor-badge').textContent();
    await tileOf('cat.jpg').click();
    await expect.poll(detailBadge, UI_WAIT).toBe('Refused by the hub: RECORD_FORGED: the signature does not verify with the registered key');
    await tileOf('astronaut.jpg').click();
    await expect.poll(detailBadge, UI_WAIT).toMatch(/^Anchored .* · chain 137, block 4242, tx 0xcdcdcdcd/);
    await page().getByLabel('Anchoring').selectOption('refused');
    await expect.poll(() => tiles().count(), UI_WAIT).toBe(1);
    await page().getByLabel('Anchoring').selectOption('');
    await expect.poll(() => tiles().count(), UI_WAIT).toBe(4);
  });

  it('says who signed, when and on which desk', async () => {
    const signed = await detail().getByTestId('signed-by').textContent();
    expect(signed).toMatch(/^by erin, .* on desk-3$/);
    expect(await detail().getByTestId('history-row').first().textContent()).toMatch(/^Signed by erin, .+ on desk-3$/);
  });

  it('moves through the list with the arrow keys, and Space zooms the loupe to a true 100 %', async () => {
    const order = await tiles().evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
    expect(order).toEqual(NAMES.map((n) => ids[n]));
    await tileOf('harbour.jpg').click();
    await expect.poll(currentId, UI_WAIT).toBe(ids['harbour.jpg']);
    await page().keyboard.press('ArrowRight');
    await expect.poll(currentId, UI_WAIT).toBe(ids['cat.jpg']);
    await detail().getByRole('heading', { name: 'cat.jpg' }).waitFor();
    await page().keyboard.press('End');
    await expect.poll(currentId, UI_WAIT).toBe(ids['astronaut.jpg']);
    await page().keyboard.press('Home');
    await expect.poll(currentId, UI_WAIT).toBe(ids['harbour.jpg']);
    await detail().getByRole('heading', { name: 'harbour.jpg' }).waitFor();

    const img = detail().getByTestId('loupe-img');
    await img.waitFor();
    const scale = () => img.evaluate((el: HTMLImageElement) => ({ natural: [el.naturalWidth, el.naturalHeight], shown: [el.getBoundingClientRect().width, el.getBoundingClientRect().height], dpr: window.devicePixelRatio }));
    await expect.poll(async () => (await scale()).natural[0], UI_WAIT).toBe(2400);
    const fitted = await scale();
    expect(fitted.shown[0]).toBeLessThan(1200);
    await page().keyboard.press('Space');
    await expect.poll(async () => (await scale()).shown, UI_WAIT).toEqual([2400, 1600]);
    expect((await scale()).dpr).toBe(1);
    await shots('loupe-100');

    // Panning: the arrow keys (the loupe has the focus), then a drag.
    const view = detail().locator('.loupe-view');
    const pos = () => view.evaluate((el) => [el.scrollLeft, el.scrollTop]);
    const centred = await pos();
    expect(centred[0]).toBeGreaterThan(0);
    await page().keyboard.press('ArrowRight');
    await page().keyboard.press('ArrowDown');
    await expect.poll(pos, UI_WAIT).toEqual([centred[0]! + 64, centred[1]! + 64]);
    const box = (await view.boundingBox())!;
    await page().mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page().mouse.down();
    await page().mouse.move(box.x + box.width / 2 + 100, box.y + box.height / 2 + 50, { steps: 4 });
    await page().mouse.up();
    await expect.poll(pos, UI_WAIT).toEqual([centred[0]! + 64 - 100, centred[1]! + 64 - 50]);
    // Still the same item: while zoomed, arrows pan rather than move through the list.
    expect(await currentId()).toBe(ids['harbour.jpg']);
    await page().keyboard.press('Escape');
    await expect.poll(async () => (await scale()).shown[0], UI_WAIT).toBeLessThan(1200);
  });

  it('compares the signed copy with its original, each shown as its own bytes', async () => {
    await detail().getByRole('button', { name: 'Compare' }).click();
    const original = detail().getByTestId('loupe-original');
    await original.waitFor();
    const b64 = (src: string | null) => Buffer.from(src!.split(',')[1]!, 'base64');
    expect(b64(await original.getAttribute('src')).equals(readFileSync(inputs['harbour.jpg']!))).toBe(true);
    const signed = ui.desk.items().find((r) => r.id === ids['harbour.jpg'])!;
    expect(b64(await detail().getByTestId('loupe-img').getAttribute('src')).equals(readFileSync(signed.outputPath!))).toBe(true);
    await detail().getByRole('slider').fill('30');
    expect(await original.getAttribute('style')).toContain('inset(0px 70% 0px 0px)');
    await shots('compare');
    await detail().getByRole('button', { name: 'Signed', exact: true }).click();
  });

  it('selects with Ctrl/Cmd-click and Shift-click, and submits the selection with one result per item', async () => {
    await tileOf('harbour.jpg').click();
    await tileOf('rocket.jpg').click({ modifiers: ['Shift'] });
    await expect.poll(() => page().getByTestId('selected-count').textContent(), UI_WAIT).toBe('3 selected');
    await tileOf('cat.jpg').click({ modifiers: ['ControlOrMeta'] });
    await expect.poll(() => page().getByTestId('selected-count').textContent(), UI_WAIT).toBe('2 selected');
    expect(await tiles().evaluateAll((els) => els.filter((e) => e.getAttribute('aria-selected') === 'true').map((e) => e.getAttribute('data-id')))).toEqual([ids['harbour.jpg'], ids['rocket.jpg']]);
    await page().keyboard.press('ControlOrMeta+a');
    await expect.poll(() => page().getByTestId('selected-count').textContent(), UI_WAIT).toBe('4 selected');
    await tileOf('astronaut.jpg').click({ modifiers: ['ControlOrMeta'] });
    await expect.poll(() => page().getByTestId('selected-count').textContent(), UI_WAIT).toBe('3 selected');
    // Every role that acts may submit and approve (the policy's roles); the machine then judges each item.
    const bar = page().getByTestId('bulk-bar');
    await bar.getByRole('button', { name: 'Submit' }).click();
    await expect.poll(() => page().getByTestId('bulk-results').textContent(), UI_WAIT).toMatch(/^Submitted: 3 of 3\./);
    for (const n of NAMES) expect(ui.desk.workflow.status(null, ids[n]!).state, n).toBe(n === 'astronaut.jpg' ? 'draft' : 'in_review');
    await page().keyboard.press('Escape');
    await expect.poll(() => page().getByTestId('bulk-bar').count(), UI_WAIT).toBe(0);
    // One selected item is the one open: no bar.
    await tileOf('cat.jpg').click();
    expect(await page().getByTestId('bulk-bar').count()).toBe(0);
  });

  it('shows the submitter Withdraw on her own item, and no Approve, Reject or Request changes', async () => {
    await tileOf('cat.jpg').click();
    await detail().getByRole('heading', { name: 'cat.jpg' }).waitFor();
    await expect.poll(buttons, UI_WAIT).toEqual(['Withdraw']);
    expect(await detail().getByLabel('Comment', { exact: true }).count()).toBe(1);
    expect(await page().getByRole('link', { name: 'Sign', exact: true }).count()).toBe(1);
    expect(await page().getByRole('link', { name: 'Settings', exact: true }).count()).toBe(1);
  });

  it("lets a reviewer approve a Shift-selected range item by item, and says which failed and why", async () => {
    await logIn('chris');
    await tileOf('harbour.jpg').click();
    await expect.poll(buttons, UI_WAIT).toEqual(['Approve (desk)', 'Request changes', 'Reject']);
    // The range runs over astronaut.jpg, which nobody submitted: that one item is refused, the others approved.
    await tileOf('astronaut.jpg').click({ modifiers: ['Shift'] });
    await expect.poll(() => page().getByTestId('selected-count').textContent(), UI_WAIT).toBe('4 selected');
    await page().getByTestId('bulk-bar').getByRole('button', { name: 'Approve' }).click();
    const results = page().getByTestId('bulk-results');
    await expect.poll(() => results.textContent(), UI_WAIT).toMatch(/^Approved: 3 of 4\./);
    expect(await results.getByTestId('bulk-failed').allTextContents()).toEqual([expect.stringMatching(/^astronaut\.jpg: expected the item to be in_review to approve it, got draft/)]);
    expect(ui.desk.workflow.status(null, ids['harbour.jpg']!).stage).toBe('chief');
    expect(ui.desk.workflow.status(null, ids['rocket.jpg']!).stage).toBe('chief');
    await shots('bulk-results');
  });

  it('downloads the selection as a ZIP holding exactly those signed files, byte for byte', async () => {
    const download = page().waitForEvent('download');
    await page().getByTestId('bulk-bar').getByRole('button', { name: 'Download ZIP' }).click();
    const zip = join(tempDir(), 'selection.zip');
    await (await download).saveAs(zip);
    const py = `import zipfile,sys,hashlib,json
z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None
print(json.dumps(sorted([i.filename,hashlib.sha256(z.read(i)).hexdigest()] for i in z.infolist())))`;
    const listed = JSON.parse(execFileSync('python3', ['-c', py, zip], { encoding: 'utf8' })) as [string, string][];
    const expected = NAMES.map((n) => {
      const r = ui.desk.items().find((x) => x.id === ids[n])!;
      return [r.outputPath!.split('/').pop()!, createHash('sha256').update(readFileSync(r.outputPath!)).digest('hex')];
    }).sort();
    expect(listed).toEqual(expected);
    expect(listed.map((l) => l[1])).toEqual(expected.map((e) => e[1]));
  });

  it('keeps saved views per user: "Waiting for me", and a filter saved under a name', async () => {
    await page().keyboard.press('Escape');
    await page().getByRole('group', { name: 'Saved views' }).getByRole('button', { name: 'Waiting for me', exact: true }).click();
    // Chris voted at the desk stage on the three in review; each now waits for a chief, which he is.
    await expect.poll(() => tiles().evaluateAll((els) => els.map((e) => e.getAttribute('data-id')).sort()), UI_WAIT)
      .toEqual(['harbour.jpg', 'cat.jpg', 'rocket.jpg'].map((n) => ids[n]).sort());
    await page().getByRole('button', { name: 'All', exact: true }).click();
    await page().getByLabel('Search').fill('rock');
    await expect.poll(() => tiles().count(), UI_WAIT).toBe(1);
    await page().getByLabel('Save this filter as').fill('Rockets');
    await page().getByRole('button', { name: 'Save view' }).click();
    await page().getByLabel('Sort').selectOption('name');
    await page().reload();
    await page().getByRole('group', { name: 'Saved views' }).getByRole('button', { name: 'Rockets', exact: true }).click();
    await expect.poll(() => tiles().count(), UI_WAIT).toBe(1);
    expect(await page().getByLabel('Sort').inputValue()).toBe('name');
  });

  it('shows a viewer no Sign, no Settings, no comment box and no workflow buttons; the ZIP refuses her unpublished files', async () => {
    await logIn('vic');
    expect(await page().getByRole('link', { name: 'Sign', exact: true }).count()).toBe(0);
    expect(await page().getByRole('link', { name: 'Settings', exact: true }).count()).toBe(0);
    await tileOf('harbour.jpg').click();
    await detail().getByRole('heading', { name: 'harbour.jpg' }).waitFor();
    await expect.poll(buttons, UI_WAIT).toEqual(['Nothing for you to do on this item now.']);
    expect(await detail().getByLabel('Comment', { exact: true }).count()).toBe(0);
    expect(await detail().getByRole('link', { name: 'Download signed file' }).count()).toBe(0);
    await tileOf('cat.jpg').click({ modifiers: ['ControlOrMeta'] });
    const bar = page().getByTestId('bulk-bar');
    await expect.poll(() => bar.getByRole('button').allTextContents(), UI_WAIT).toEqual(['Select all 4', 'Clear', 'Download ZIP']);
    await bar.getByRole('button', { name: 'Download ZIP' }).click();
    await expect.poll(() => page().getByTestId('bulk-results').textContent(), UI_WAIT).toMatch(/^In the ZIP: 0 of 2\./);
    expect(await page().getByTestId('bulk-failed').first().textContent()).toMatch(/expected a user who may sign/);
    await shots('viewer');
    // Without Settings, the header still offers the theme.
    await page().getByLabel('Theme').selectOption('dark');
    await expect.poll(() => page().evaluate(() => document.documentElement.dataset.theme), UI_WAIT).toBe('dark');
    await page().getByLabel('Theme').selectOption('system');
    await expect.poll(() => page().evaluate(() => document.documentElement.dataset.theme ?? 'system'), UI_WAIT).toBe('system');
  });

  it('shows an admin Withdraw on an item in review, and the Settings screen', async () => {
    await logIn('ada');
    expect(await page().getByRole('link', { name: 'Settings', exact: true }).count()).toBe(1);
    await tileOf('rocket.jpg').click();
    await expect.poll(buttons, UI_WAIT).toEqual(['Withdraw']);
    expect(ui.errors).toEqual([]);
  });
});
