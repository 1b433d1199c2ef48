// Issue 21 §4: a usage error (missing argument, unknown option, unknown command) exits 2 — never 1, which is
// verify's "not authentic" — with one line saying what was wrong and a pointer to the help; help and version exit 0.
// A missing file is NOT_FOUND, a file of another format is named, and a pipe closed early ends the command quietly.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshDesk, ROOT, runCli, tempDir } from './helpers/cli.ts';

const POINTER = "run 'custody --help' (or 'custody COMMAND --help') for usage";

describe('usage errors', () => {
  it.each([
    [['verify'], "error: missing required argument 'file'"],
    [['verify', '--nope', 'x.jpg'], "error: unknown option '--nope'"],
    [['bogus'], "error: unknown command 'bogus'"],
    [['sign'], "error: missing required argument 'files'"],
  ])('custody %j exits 2 with one line and the pointer', async (args, line) => {
    const r = await runCli(args, { CUSTODY_HOME: '/nonexistent/custody-usage-test' });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([line, POINTER]);
  });

  it('help and version still exit 0', async () => {
    expect((await runCli(['--help'])).code).toBe(0);
    expect((await runCli(['verify', '--help'])).code).toBe(0);
    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('sign --help names --again and the exit status of a file signed before', async () => {
    const r = await runCli(['sign', '--help']);
    expect(r.code).toBe(0);
    // commander wraps the description to the terminal's width
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('--again sign files this desk has already signed as new records (without it they are refused: exit 3)');
  });
});

describe('files the command cannot take', () => {
  it.each([
    ['a missing file', null, /^error NOT_FOUND: expected a readable file at .*missing\.jpg, but it does not exist or cannot be read$/],
    ['a GIF', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'), /^error UNSUPPORTED_FORMAT: expected a JPEG, PNG, WebP, TIFF or AVIF image .* or an MP4, MOV or WebM video, got a GIF image, which is not supported$/],
    ['a PDF', Buffer.from('%PDF-1.7\n%\xe2\xe3\n', 'latin1'), /^error UNSUPPORTED_FORMAT: expected .*, got a PDF document, which is not supported$/],
    ['a text file', Buffer.from('hello, not a picture\n'), /^error UNSUPPORTED_FORMAT: expected .*, got a text file, which is not supported$/],
  ])('%s: one coded line, exit 2', async (_name, bytes, line) => {
    const env = await freshDesk();
    const dir = tempDir();
    const file = join(dir, bytes ? 'upload.bin' : 'missing.jpg');
    if (bytes) writeFileSync(file, bytes);
    const r = await runCli(['verify', file], env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(line);
  });
});

describe('output into a reader that stops early', () => {
  it('ends quietly: no EPIPE stack when the pipe is closed before the command writes', async () => {
    // The read end is closed at once, so every write the command makes meets a closed pipe (as `| head -0` would).
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'custody.js'), '--help'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(stderr).not.toMatch(/EPIPE|Unhandled|at /);
    expect(code).toBe(0);
  });
});
