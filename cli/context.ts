// What every command needs: output helpers and the desk, opened (and unlocked) for the length of one command.
// The desk is imported when a command opens it, not when this module loads: commands that need no desk (phash,
// watermark, --help) then start without the database, the vault and the media pipeline.
import type { Desk } from '../core/desk.ts';
import type { ProgressListener, WorkProgress } from '../core/media/progress.ts';
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

/**
 * Opens the desk and unlocks it with the passphrase. Where a desk exists, the passphrase is read and the key
 * derivation started (core/crypto/prepare-unlock.ts) before the desk's modules are loaded, so that the two overlap;
 * `signing`: the command signs, and the desk prepares for it while the derivation runs (Desk.prepareSigning; with
 * `first`, the path it signs first, that photo is read and scanned meanwhile).
 */
export async function unlockedDesk(opts: { signing?: boolean; first?: string } = {}): Promise<Desk> {
  const [{ resolveHome, DB_FILE }, { PassphraseProtector }, { prepareUnlock }] = await Promise.all([
    import('../core/store/home.ts'),
    import('../core/crypto/vault.ts'),
    import('../core/crypto/prepare-unlock.ts'),
  ]);
  const home = resolveHome();
  let protector: InstanceType<typeof PassphraseProtector> | null = null;
  if (existsSync(join(home, DB_FILE))) {
    protector = new PassphraseProtector(await readPassphrase('Passphrase for the desk keys: '));
    prepareUnlock(home, protector);
  }
  const { Desk } = await import('../core/desk.ts');
  const desk = Desk.open(home);
  try {
    if (opts.signing) void desk.prepareSigning(opts.first);
    await desk.unlock(protector ?? new PassphraseProtector(await readPassphrase('Passphrase for the desk keys: ')));
    return desk;
  } catch (e) {
    desk.close();
    throw e;
  }
}

export async function withDesk<T>(fn: (desk: Desk) => Promise<T> | T, opts: { unlock?: boolean; signing?: boolean; first?: string } = {}): Promise<T> {
  const desk = opts.unlock ? await unlockedDesk({ signing: opts.signing === true, ...(opts.first !== undefined ? { first: opts.first } : {}) }) : await import('../core/desk.ts').then(({ Desk, resolveHome }) => Desk.open(resolveHome()));
  try {
    return await fn(desk);
  } finally {
    desk.close();
  }
}


/** Progress shown on stderr: the listener to hand to the desk, and `end`, which closes a line left open on a terminal. */
export interface StderrProgress {
  listener: ProgressListener;
  end(): void;
}

const clock = (s: number): string => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

/**
 * Progress of long work (a video) on stderr, so stdout stays clean for --json and scripts: on a terminal one line
 * rewritten in place at each whole percent ("signing clip.mp4: 42% fingerprinting, 0:12 of 0:30"); elsewhere (a
 * pipe, a log file) a line at every tenth of the way, 0 % to 100 %.
 */
export function progressOnStderr(label: string, stream: NodeJS.WriteStream = process.stderr): StderrProgress {
  const tty = stream.isTTY === true;
  let shown = -1;
  let open = false;
  const line = (p: WorkProgress, percent: number): string =>
    printable(`${label}: ${percent}% ${p.phase}${p.totalSec > 0 ? `, ${clock(p.doneSec)} of ${clock(p.totalSec)}` : ''}`);
  const end = (): void => {
    if (open) stream.write('\n');
    open = false;
  };
  const listener: ProgressListener = (p) => {
    if (p.phase === 'starting') return;
    if (tty) {
      const percent = Math.floor(p.percent);
      if (percent <= shown) return;
      shown = percent;
      // \r back to the start of the line, \x1b[K clears what a longer line left.
      stream.write(`\r${line(p, percent)}\x1b[K`);
      open = true;
      if (percent >= 100) end();
      return;
    }
    const tenth = Math.min(10, Math.floor(p.percent / 10));
    if (tenth <= shown) return;
    shown = tenth;
    stream.write(`${line(p, tenth * 10)}\n`);
  };
  return { listener, end };
}
