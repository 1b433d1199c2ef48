// Issue 21 §4: a usage error (missing argument, unknown option, unknown command) exits 2 — never 1, which is
// verify's "not authentic" — with one line saying what was wrong and a pointer to the help; help and version exit 0.
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.ts';

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
});
