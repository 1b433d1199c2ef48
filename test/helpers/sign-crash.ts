// Runs `custody sign` in a child process that a test can kill (a named crash point, or SIGKILL after a delay), and
// checks what a crash may leave once the desk is opened again (test/sign-crash*.test.ts).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { auditEntries } from '../../core/audit/log.ts';
import { Desk } from '../../core/desk.ts';
import { sha256Hex } from '../../core/media/hash.ts';
import { sql } from '../../core/store/db.ts';
import { getRecord } from '../../core/store/records.ts';
import { outboxOfRecord } from '../../core/sync/outbox.ts';
import { CHEAP_SCRYPT, ROOT } from './cli.ts';

export function signChild(env: Record<string, string>, args: string[], opts: { crashAt?: string; killAfterMs?: number } = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'custody.js'), 'sign', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env, ...(opts.crashAt ? { CUSTODY_CRASH_POINT: opts.crashAt } : {}) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = opts.killAfterMs === undefined ? null : setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

/**
 * Opens the desk (recovery runs) and checks the invariant: every record.signed entry names a record, every record
 * has its signed file with the recorded bytes, no temporary file is left in `out`. Returns, per input, whether it
 * ended signed into `out` or not at all.
 */
export function expectNothingOrEverything(home: string, out: string, inputs: string[]): ('nothing' | 'signed')[] {
  const desk = Desk.open(home, { passwordParams: CHEAP_SCRYPT });
  try {
    const files = existsSync(out) ? readdirSync(out) : [];
    expect(files.filter((f) => f.endsWith('.part')), 'temporary files left').toEqual([]);
    const records = desk.items();
    for (const e of [...auditEntries(desk.store)].filter((x) => x.action === 'record.signed')) {
      expect(records.some((r) => r.id === e.subject), `record.signed ${e.subject} without its record`).toBe(true);
    }
    for (const r of records) {
      expect(r.outputPath, `record ${r.id} without its signed file`).not.toBeNull();
      expect(existsSync(r.outputPath!), `record ${r.id}: ${r.outputPath} is missing`).toBe(true);
      expect(sha256Hex(readFileSync(r.outputPath!))).toBe(r.outputSha256);
      expect([...auditEntries(desk.store, { subject: r.id })].filter((e) => e.action === 'record.signed')).toHaveLength(1);
      // The hub's outbox row commits with the record (issue 17): a record never misses it.
      expect(outboxOfRecord(desk.store, r.id), `record ${r.id} without its outbox row`).not.toBeNull();
    }
    const queued = desk.store.all<{ ref: string }>(sql`SELECT ref FROM outbox WHERE kind = 'record'`);
    for (const q of queued) expect(getRecord(desk.store, q.ref), `outbox row for ${q.ref} without its record`).not.toBeNull();
    return inputs.map((input) => {
      const mine = records.filter((r) => r.inputName === input && r.outputPath!.startsWith(`${out}/`));
      const stem = input.slice(0, input.lastIndexOf('.'));
      const outputs = files.filter((f) => f.startsWith(`${stem}.signed`));
      // A file in `out` that no record names would be exactly the hole of issue 13 §6.
      expect(outputs.map((f) => join(out, f)).sort(), `outputs of ${input}`).toEqual(mine.map((r) => r.outputPath!).sort());
      expect(mine.length).toBeLessThanOrEqual(1);
      return mine.length === 1 ? 'signed' : 'nothing';
    });
  } finally {
    desk.close();
  }
}

