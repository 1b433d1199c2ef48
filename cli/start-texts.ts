// What `custody --version` and `custody --help` print, as commander prints them from the program of program.ts.
// scripts/build-cli.js compiles this file (out/cli/start-texts.js), runs startTexts() and stores them in out/cli/start.json,
// so that bin/custody.js can print these texts without loading commander or the program (bin/compiled-cli.js).
import { CommanderError } from 'commander';
import { buildProgram } from './program.ts';

/**
 * What `custody ...args` writes to stdout when stdout is `width` columns wide (undefined: not a terminal, which
 * commander wraps at 80), as main() runs it: the same program, parsed, help and version ending it with exit code 0.
 */
export async function printed(args: readonly string[], width: number | undefined, colors = false): Promise<string> {
  const argv = ['node', 'custody', ...args];
  const program = await buildProgram(argv);
  let out = '';
  // commander's own getOutHelpWidth gives undefined when stdout is no terminal, which its Help takes as 80
  program.configureOutput({ writeOut: (s) => void (out += s), getOutHelpWidth: () => width ?? 80, getOutHasColors: () => colors });
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (!(e instanceof CommanderError) || e.exitCode !== 0) throw e;
  }
  return out;
}

/** The content of out/cli/start.json, less the inputs (build-cli.js adds them). */
export interface StartTexts {
  version: string;
  help: {
    /** Not a terminal, or a terminal 80 columns wide. */
    at80: string;
    /** A terminal at least `wideFrom` columns wide: nothing wraps, so every such width prints the same. */
    wide: string;
    wideFrom: number;
  };
}

/** The start texts, as the program prints them now. */
export async function startTexts(): Promise<StartTexts> {
  const wide = await printed(['--help'], 1e6);
  return {
    version: await printed(['--version'], undefined),
    help: { at80: await printed(['--help'], undefined), wide, wideFrom: Math.max(...wide.split('\n').map((l) => l.length)) },
  };
}

