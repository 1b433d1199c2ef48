// The desk's own folders under a watched folder's OUT (a job's staging folders, rejected/, originals/) are written,
// emptied and taken from only while they are real folders (found in review): an insider who could write OUT put a
// link there to another folder, and the desk emptied it (the staging folder's leftovers cleared), signed and took a
// file it was never given (a crash "replay" from a linked staging folder), or wrote a dropped file into it (a linked
// rejected/). Each is now refused with PATH_NOT_ALLOWED and retried, touching nothing there.
import { createHash } from 'node:crypto';
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { sql } from '../core/store/db.ts';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/cli.ts';
import { addFolder, engineFor, newDesk, uniqueJpeg, type Scenario } from './watch-helpers.ts';

const running: Scenario[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) {
    await s.engine.stop();
    s.desk.close();
  }
});

async function setup(): Promise<Scenario> {
  const desk = await newDesk();
  const { folder, inDir, outDir } = addFolder(desk, { stableMs: 200 });
  const s = engineFor(desk, folder, inDir, outDir);
  running.push(s);
  return s;
}

/** Waits until the engine has retried a job for a linked folder, and returns that retry's message. */
async function refusedForALink(s: Scenario): Promise<string> {
  const until = Date.now() + 20_000;
  for (;;) {
    const r = s.retries.find((x) => x.code === 'PATH_NOT_ALLOWED' || /is a link or leads through one/.test(x.message));
    if (r) return r.message;
    if (Date.now() > until) throw new Error(`expected a retry for a linked folder, got ${JSON.stringify(s.retries.slice(-3))} and outcomes ${JSON.stringify(s.outcomes)}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

const jobDir = (s: Scenario, n: number) => join(s.outDir, '.custody', 'jobs', `${s.folder.id}-${n}`);

describe('links put into a watched folder\'s OUT', { timeout: 60_000 }, () => {
  it("a job's signed/ staging folder linked to another folder: that folder is not emptied", async () => {
    const s = await setup();
    const victim = tempDir('victim-a-');
    writeFileSync(join(victim, 'report.docx'), 'precious 1');
    writeFileSync(join(victim, 'ledger.csv'), 'precious 2');
    for (let n = 1; n <= 5; n++) {
      mkdirSync(jobDir(s, n), { recursive: true });
      symlinkSync(victim, join(jobDir(s, n), 'signed'));
    }
    await s.engine.start([s.folder.id]);
    writeFileSync(join(s.inDir, 'photo.jpg'), await uniqueJpeg());
    expect(await refusedForALink(s)).toContain('signed');
    expect(readdirSync(victim).sort()).toEqual(['ledger.csv', 'report.docx']);
  });

  it("a job's original/ staging folder linked to another folder: its file is neither signed nor taken", async () => {
    const s = await setup();
    const victim = tempDir('victim-b-');
    const secret = await uniqueJpeg();
    writeFileSync(join(victim, 'embargoed.jpg'), secret);
    mkdirSync(jobDir(s, 1), { recursive: true });
    symlinkSync(victim, join(jobDir(s, 1), 'original'));
    await s.engine.start([s.folder.id]);
    writeFileSync(join(s.inDir, 'embargoed.jpg'), 'attacker dummy, any bytes');
    expect(await refusedForALink(s)).toContain('original');
    expect(readFileSync(join(victim, 'embargoed.jpg')).equals(secret)).toBe(true);
    expect(s.outcomes.filter((o) => o.status === 'signed')).toEqual([]);
  });

  it.skipIf(process.getuid?.() !== 0)("a drop another user owns is kept as the desk's own copy: its owner's open descriptor cannot change the kept original", async () => {
    const s = await setup();
    await s.engine.start([s.folder.id]);
    const p = join(s.inDir, 'photo.jpg');
    writeFileSync(p, await uniqueJpeg());
    chownSync(p, 65534, 65534); // the photographer's, not the desk's (rename keeps the owner)
    const fd = openSync(p, 'r+'); // kept open by the photographer's tool
    const [o] = await s.waitFor(1);
    writeSync(fd, Buffer.from('TAMPERED'), 0, 8, 100);
    closeSync(fd);
    expect(o!.status).toBe('signed');
    const rec = s.desk.store.get<{ sha256: string; input_path: string }>(sql`SELECT sha256, input_path FROM records WHERE id = ${o!.recordId}`)!;
    expect(createHash('sha256').update(readFileSync(rec.input_path)).digest('hex')).toBe(rec.sha256);
    expect(statSync(rec.input_path).uid).toBe(0);
  });

  it('rejected/ linked to another folder: nothing dropped is written there', async () => {
    const s = await setup();
    const victim = tempDir('victim-c-');
    mkdirSync(s.outDir, { recursive: true });
    symlinkSync(victim, join(s.outDir, 'rejected'));
    await s.engine.start([s.folder.id]);
    writeFileSync(join(s.inDir, 'evil.desktop'), '[Desktop Entry]\nType=Application\nExec=sh -c "id > /tmp/pwned"\n');
    expect(await refusedForALink(s)).toContain('rejected');
    expect(existsSync(join(victim, 'evil.desktop'))).toBe(false);
    expect(readdirSync(victim)).toEqual([]);
  });
});
