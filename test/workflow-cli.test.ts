// Issue 6 end to end through the real `custody` command: users, two people taking an item through approval,
// refusals with their codes, sessions, and the audit log's verdict. The rules themselves are tested in-process
// (workflow-machine, workflow, audit, users); this file only proves the CLI wiring, so it stays short.
import Database from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { photo } from './fixtures/photos.ts';
import { CHEAP_SCRYPT, freshDesk, runCli, tempDir } from './helpers/cli.ts';
import { Desk } from '../core/desk.ts';
import { addUsers } from './helpers/workflow-desk.ts';

/** The desk, with no one acting (freshDesk's env acts as the admin). */
let env: Record<string, string>;
let work: string;
let item: string;

/**
 * Acting as a user. Only commands that need the keys get the vault passphrase: the others' audit entries are
 * chained at once and sealed at the next unlock, which `audit verify` below then finds intact.
 */
const as = (name: string, o: { keys?: boolean; password?: string } = {}) => {
  const { CUSTODY_PASSPHRASE, ...rest } = env;
  return { ...rest, ...(o.keys ? { CUSTODY_PASSPHRASE: CUSTODY_PASSPHRASE! } : {}), CUSTODY_USER: name, CUSTODY_PASSWORD: o.password ?? `${name}-tidal-lantern-42` };
};

function ok(r: { code: number; stderr: string }): void {
  expect(r.stderr.match(/^error .*/m)?.[0] ?? '').toBe('');
  expect(r.code).toBe(0);
}

beforeAll(async () => {
  const { CUSTODY_USER: _u, CUSTODY_PASSWORD: _p, ...desk } = await freshDesk('Daily Planet', { name: 'perry', password: 'perry-tidal-lantern-42' });
  env = desk;
  work = tempDir();
  ok(await runCli(['users', 'add', 'jimmy', '--roles', 'viewer', '--password-stdin'], as('perry'), 'jimmy-tidal-lantern-42\n'));
  // The two who act are added in-process with cheap scrypt, so that each of their commands checks the password fast.
  const d = Desk.open(env.CUSTODY_HOME!, { passwordParams: CHEAP_SCRYPT });
  await addUsers(d, { name: 'perry', roles: ['admin'] }, { clark: ['editor'], lois: ['editor', 'chief'] });
  d.close();
  const src = join(work, 'coins.png');
  await sharp(photo('coins.png')).resize(300).toFile(src);
  const r = await runCli(['sign', src, '--json'], as('clark', { keys: true }));
  ok(r);
  item = (JSON.parse(r.stdout) as { recordId: string }[])[0]!.recordId;
});

describe('custody workflow commands', () => {
  it('two users take an item through approval, refusing the submitter, and publish it', async () => {
    ok(await runCli(['submit', item, '--note', 'front page'], as('clark')));

    const own = await runCli(['approve', item], as('clark'));
    expect(own.code).toBe(2);
    expect(own.stderr).toMatch(/^error NOT_PERMITTED: expected someone other than a submitter to approve \(four-eyes\), got clark, who submitted this item/);

    ok(await runCli(['approve', item, '--comment', 'desk ok'], as('lois')));
    ok(await runCli(['approve', item], as('lois')));

    const st = await runCli(['status', item, '--json'], as('clark'));
    ok(st);
    const status = JSON.parse(st.stdout) as { state: string; stage: string | null; classification: string; flags: string[]; history: { actor: string; event: string; stage: string | null; comment: string | null; at: string }[]; can: string[] };
    expect(status).toMatchObject({ state: 'approved', stage: null, classification: 'internal', flags: [] });
    expect(status.history.map((h) => [h.actor, h.event, h.stage, h.comment])).toEqual([
      ['clark', 'submit', 'desk', 'front page'],
      ['lois', 'approve', 'desk', 'desk ok'],
      ['lois', 'approve', 'chief', null],
    ]);
    expect(status.can).toEqual(['withdraw', 'publish']);

    const out = join(work, 'published');
    const pub = await runCli(['publish', item, '--out', out, '--json'], as('clark', { keys: true }));
    ok(pub);
    const receipt = JSON.parse(pub.stdout) as { output: string; state: string; approvals: { stage: string; by: string }[]; outputSha256: string };
    expect(receipt.state).toBe('published');
    expect(receipt.output).toBe(join(out, 'coins.published.png'));
    expect(existsSync(receipt.output)).toBe(true);
    expect(receipt.approvals.map((a) => [a.stage, a.by])).toEqual([['desk', 'lois'], ['chief', 'lois']]);

    const again = await runCli(['request-changes', item, '--comment', 'too late'], as('lois'));
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^error WORKFLOW_TRANSITION_REFUSED: expected the item to be in_review to request-changes it, got published$/m);
  });

  it('refuses a wrong password with NOT_AUTHENTICATED', async () => {
    const wrong = await runCli(['status', item], as('lois', { password: 'nope-nope' }));
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^error NOT_AUTHENTICATED: expected the password of a user of this desk, got a user name and password that do not match \(lois\)$/m);
  });

  it('login opens an expiring session that whoami reports and logout ends', async () => {
    const { CUSTODY_PASSPHRASE: _k, ...locked } = env;
    const anon = { ...locked, CUSTODY_PASSWORD: 'lois-tidal-lantern-42' };
    const login = await runCli(['login', 'lois', '--json'], anon);
    ok(login);
    const s = JSON.parse(login.stdout) as { user: string; roles: string[]; expiresAt: string };
    expect(s).toMatchObject({ user: 'lois', roles: ['editor', 'chief'] });
    expect(Date.parse(s.expiresAt) - Date.now()).toBeGreaterThan(7 * 3600_000);

    const who = await runCli(['whoami', '--json'], locked);
    ok(who);
    expect(JSON.parse(who.stdout)).toMatchObject({ user: 'lois', via: 'session', expiresAt: s.expiresAt });

    ok(await runCli(['logout'], locked));
    const after = await runCli(['whoami'], locked);
    expect(after.code).toBe(2);
    expect(after.stderr).toMatch(/^error NOT_AUTHENTICATED: expected a user: set CUSTODY_USER and CUSTODY_PASSWORD, or run `custody login NAME`/);
  });

  it('audit verify exits 0 for the intact log and 1, naming the entry, once its newest entries are removed', async () => {
    // Any user may verify the log (the DeskApi's rule); a desk with users asks who. The vault passphrase pins the
    // org's keys to the ones the vault holds.
    const intact = await runCli(['audit', 'verify', '--json'], as('perry', { keys: true }));
    ok(intact);
    const report = JSON.parse(intact.stdout) as { ok: boolean; entries: number; pending: { from: number; to: number } | null; workflow: { items: number; problems: unknown[] } };
    expect(report).toMatchObject({ ok: true, workflow: { items: 1, problems: [] } });
    // The last acts ran without the vault passphrase; verifying with it checked their seals and signed them.
    expect(report).toMatchObject({ pinnedTo: 'vault', pending: null, sealed: report.entries });

    const exported = join(work, 'audit.jsonl');
    ok(await runCli(['audit', 'export', '--format', 'jsonl', '--out', exported], as('perry')));
    const lines = readFileSync(exported, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seq: number; action: string });
    expect(lines.map((l) => l.action)).toEqual(expect.arrayContaining(['audit.started', 'user.created', 'record.signed', 'workflow.submit', 'workflow.refused', 'workflow.publish', 'auth.login_failed', 'auth.login', 'auth.logout', 'audit.exported']));

    const last = lines.at(-1)!.seq;
    const db = new Database(join(env.CUSTODY_HOME!, 'desk.db'));
    db.exec(`PRAGMA foreign_keys = OFF; DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq >= ${last - 1};`);
    db.close();
    const broken = await runCli(['audit', 'verify'], as('perry', { keys: true }));
    expect(broken.code).toBe(1);
    // The removed entries were written without the passphrase: the unlock of this verify already finds them missing.
    expect(broken.stdout).toMatch(new RegExp(`^audit log BROKEN at entry ${last - 1}: `));
    expect(broken.stdout).toContain(`expected entries up to ${last} (the head checkpoint)`);
  });
});
