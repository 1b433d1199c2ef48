// What every command needs: output helpers and the desk, opened (and unlocked) for the length of one command.
// The desk is imported when a command opens it, not when this module loads: commands that need no desk (phash,
// watermark, --help) then start without the database, the vault and the media pipeline.
import type { Desk } from '../core/desk.ts';
import { readPassphrase } from './passphrase.ts';
import { printable, printableText } from './printable.ts';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project folder (for the renderer build): the nearest folder above this module with a package.json, so that it
 * is the same from the sources (cli/) and from the compiled command (out/cli/).
 */
export const ROOT = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();

/** One line on stdout or stderr, with control characters escaped (printable.ts): a line never becomes two. */
export const out = (s: string): void => void process.stdout.write(`${printable(s)}\n`);
export const err = (s: string): void => void process.stderr.write(`${printable(s)}\n`);
export const json = (v: unknown): void => void process.stdout.write(`${printableText(JSON.stringify(v, null, 2))}\n`);

export async function unlockedDesk(): Promise<Desk> {
  const [{ Desk, resolveHome }, { PassphraseProtector }] = await Promise.all([import('../core/desk.ts'), import('../core/crypto/vault.ts')]);
  const desk = Desk.open(resolveHome());
  try {
    await desk.unlock(new PassphraseProtector(await readPassphrase('Passphrase for the desk keys: ')));
    return desk;
  } catch (e) {
    desk.close();
    throw e;
  }
}

export async function withDesk<T>(fn: (desk: Desk) => Promise<T> | T, opts: { unlock?: boolean } = {}): Promise<T> {
  const { Desk, resolveHome } = await import('../core/desk.ts');
  const desk = opts.unlock ? await unlockedDesk() : Desk.open(resolveHome());
  try {
    return await fn(desk);
  } finally {
    desk.close();
  }
}


/**
 * Progress of long work on stderr (stdout stays clean for --json): a line at every tenth of the way, for videos
 * of a minute or more.
 */
export function progressOnStderr(label: string): (done: number, total: number) => void {
  let shown = -1;
  return (done, total) => {
    if (total < 60) return;
    const tenth = Math.min(10, Math.floor((done / total) * 10));
    if (tenth <= shown) return;
    shown = tenth;
    const clock = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
    err(`${label}: ${tenth * 10}% (${clock(done)} of ${clock(total)})`);
  };
}
