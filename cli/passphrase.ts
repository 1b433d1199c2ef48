// The CLI's passphrase: CUSTODY_PASSPHRASE, else typed at a hidden prompt on the terminal.
import { readFileSync } from 'node:fs';
import { CustodyError } from '../core/errors.ts';

export async function readPassphrase(prompt: string, opts: { confirm?: boolean } = {}): Promise<string> {
  const fromEnv = process.env.CUSTODY_PASSPHRASE;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!process.stdin.isTTY) {
    throw new CustodyError('KEY_LOCKED', 'expected a passphrase in CUSTODY_PASSPHRASE or typed at a prompt, got neither (no terminal to prompt on)');
  }
  const first = await hiddenPrompt(prompt);
  if (opts.confirm) {
    const second = await hiddenPrompt('Repeat the passphrase: ');
    if (first !== second) throw new CustodyError('INVALID_ARGUMENT', 'expected the same passphrase twice, got two different ones');
  }
  if (first === '') throw new CustodyError('KEY_LOCKED', 'expected a passphrase, got an empty one');
  return first;
}

export function hiddenPrompt(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    let value = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new CustodyError('KEY_LOCKED', 'expected a passphrase, got Ctrl-C'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** One line from stdin, its line ending dropped: what `printf '%s\n' "$PW" | custody … --password-stdin` sends. */
export function stdinLine(): string {
  return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
}
