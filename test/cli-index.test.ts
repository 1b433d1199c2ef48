// cli/command-index.ts against the command modules: `custody --help` is printed from the index without loading them,
// so the index must name the same commands, in the same order, with the same help lines as the modules register.
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandName, moduleOf } from '../cli/command-index.ts';
import { buildProgram, moduleFor } from '../cli/program.ts';

const names = (p: Command) => p.commands.map((c) => c.name());

describe('the command index', () => {
  it('lists every command the modules register, in order, with its help term and description', async () => {
    const all = await buildProgram(['node', 'custody'], 'all');
    expect(COMMANDS.map(([term]) => commandName(term))).toEqual(names(all));
    const help = all.createHelp();
    for (const [term, description] of COMMANDS) {
      const cmd = all.commands.find((c) => c.name() === commandName(term))!;
      expect([help.subcommandTerm(cmd), cmd.description()]).toEqual([term, description]);
    }
  });

  it('prints the same `custody --help` from the index as from the loaded modules', async () => {
    const lazy = await buildProgram(['node', 'custody', '--help']);
    const all = await buildProgram(['node', 'custody'], 'all');
    expect(lazy.helpInformation()).toBe(all.helpInformation());
  });

  it('loads the module of the command asked for, and that module defines it in full', async () => {
    const p = await buildProgram(['node', 'custody', 'watch-folders', 'list', '--json']);
    const folders = p.commands.find((c) => c.name() === 'watch-folders')!;
    expect(names(folders)).toContain('list');
    const sign = p.commands.find((c) => c.name() === 'sign')!;
    expect(sign.options).toEqual([]); // a placeholder: desk.ts was not loaded
  });

  it('finds the module from the first operand, or from `help NAME`', () => {
    expect(moduleFor(['sign', 'a.jpg'])).toBe('desk');
    expect(moduleFor(['--json', 'verify', 'a.jpg'])).toBe('desk');
    expect(moduleFor(['help', 'watch-folders'])).toBe('watch');
    expect(moduleFor(['request-changes', 'x', '--comment', 'y'])).toBe('workflow');
    expect(moduleFor(['--version'])).toBeNull();
    expect(moduleFor([])).toBeNull();
    expect(moduleFor(['nosuch'])).toBeNull();
    expect(moduleOf('settings')).toBe('cert');
  });
});
