// The `custody` command's program: every desk capability, headless. Errors: one line `error CODE: sentence`, exit 2.
// Only the module of the command being run is loaded (command-index.ts); the others appear in the help by name.
import { Command, CommanderError } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { isCustodyError } from '../core/errors.ts';
import { err } from './context.ts';
import { COMMANDS, MODULES, commandName, moduleOf, type ModuleName } from './command-index.ts';
import { printableText } from './printable.ts';

/** The module the command line asks for: that of its first operand (or of `help NAME`), else none. */
export function moduleFor(args: readonly string[]): ModuleName | null {
  const operands = args.filter((a) => !a.startsWith('-'));
  const name = operands[0] === 'help' ? operands[1] : operands[0];
  return name === undefined ? null : moduleOf(name);
}

/**
 * The program with every command's module loaded when `load` is 'all' (tests compare it with the index), else only
 * the module `argv` runs; the other commands are placeholders that show their index line in the help.
 */
export async function buildProgram(argv: readonly string[], load: 'all' | 'needed' = 'needed'): Promise<Command> {
  const program = new Command();
  program
    .name('custody')
    .description('Sign, watermark and verify photos on this desk. Data: CUSTODY_HOME, else the OS app-data folder "Custody".')
    .version(pkg.version, '-V, --version')
    // A usage error is one line and a pointer to the help, exit 2 (1 is verify's "not authentic"). Subcommands
    // inherit these settings when they are created, so they are set before any command is registered.
    .exitOverride()
    .showSuggestionAfterError(false)
    .showHelpAfterError("run 'custody --help' (or 'custody COMMAND --help') for usage")
    .configureOutput({ writeErr: (s) => process.stderr.write(printableText(s)) });

  const wanted = load === 'all' ? null : moduleFor(argv.slice(2));
  const placeholders = new Map<Command, string>();
  const defaultTerm = program.createHelp().subcommandTerm.bind(program.createHelp());
  program.configureHelp({ subcommandTerm: (cmd) => placeholders.get(cmd) ?? defaultTerm(cmd) });

  const order = [...new Set(COMMANDS.map(([, , module]) => module))];
  for (const module of order) {
    if (load === 'all' || module === wanted) {
      (await MODULES[module]()).register(program);
      continue;
    }
    for (const [term, description] of COMMANDS.filter(([, , m]) => m === module)) {
      placeholders.set(program.command(commandName(term)).description(description), term);
    }
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    const program = await buildProgram(argv);
    program.exitOverride();
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; usage errors were already printed by commander.
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    if (isCustodyError(e)) {
      err(`error ${e.code}: ${e.message}`);
    } else {
      const [first, ...rest] = (e instanceof Error ? (e.stack ?? e.message) : String(e)).split('\n');
      err(`error INTERNAL: ${first}`);
      for (const line of rest) err(line);
    }
    process.exitCode = 2;
  }
}
