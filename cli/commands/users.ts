// `custody users add|list|disable|roles`: the local directory. Changes need an admin; a desk without users gets
// its first admin from whoever holds the vault passphrase.
import type { Command } from 'commander';
import type { UseCase } from '../../core/authz/policy.ts';
import type { Desk } from '../../core/desk.ts';
import type { Actor } from '../../core/directory/roles.ts';
import { CustodyError } from '../../core/errors.ts';
import { json, out } from '../context.ts';
import { hiddenPrompt, stdinLine } from '../passphrase.ts';
import { actingFor, openDesk } from './auth.ts';

async function newPassword(name: string, fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    return stdinLine();
  }
  if (!process.stdin.isTTY) {
    throw new CustodyError('INVALID_ARGUMENT', `expected a password for ${name} on stdin (--password-stdin) or typed at a prompt, got neither (no terminal to prompt on)`);
  }
  const first = await hiddenPrompt(`New password for ${name}: `);
  if ((await hiddenPrompt('Repeat the password: ')) !== first) throw new CustodyError('INVALID_ARGUMENT', 'expected the same password twice, got two different ones');
  return first;
}

/**
 * Runs fn as the user acting for this command, checked by the policy's rule for the use case (on a desk with no
 * users yet, the passphrase holder: the vault is unlocked for that).
 */
export async function withUser<T>(useCase: UseCase, fn: (desk: Desk, by: Actor) => Promise<T> | T, opts: { keys?: boolean } = {}): Promise<T> {
  const desk = await openDesk(opts);
  try {
    return await fn(desk, (await actingFor(desk, useCase))!);
  } finally {
    desk.close();
  }
}

const row = (u: { name: string; roles: string[]; disabledAt: string | null; createdAt: string; source: string }): string =>
  `${u.name.padEnd(20)} ${(u.roles.join(',') || '-').padEnd(28)} ${u.source.padEnd(6)} ${u.disabledAt ? `disabled ${u.disabledAt}` : 'active'}  created ${u.createdAt}`;

export function register(program: Command): void {
  const users = program.command('users').description('the desk\'s users and their roles (admin, editor, chief, legal, viewer)');

  users
    .command('add')
    .description('add a user (admins only; the first user of a desk without users may be added with the vault passphrase)')
    .argument('<name>')
    .requiredOption('--roles <list>', 'comma-separated roles: admin, editor, chief, legal, viewer')
    .option('--password-stdin', "read the new user's password from stdin (else a prompt)")
    .option('--json', 'print the user as JSON')
    .action(async (name: string, o: { roles: string; passwordStdin?: boolean; json?: boolean }) => {
      const password = await newPassword(name, o.passwordStdin ?? false);
      const u = await withUser('userAdd', (desk, by) => desk.directory.addUser(by, { name, roles: o.roles, password }));
      if (o.json) json(u);
      else out(`added ${u.name} (${u.roles.join(', ')})`);
    });

  users
    .command('list')
    .description('list the users (any signed-in user)')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const desk = await openDesk();
      try {
        await actingFor(desk, 'users');
        const list = desk.directory.list();
        if (o.json) return json(list);
        if (list.length === 0) return out('no users yet: `custody users add NAME --roles admin` with the vault passphrase');
        for (const u of list) out(row(u));
      } finally {
        desk.close();
      }
    });

  users
    .command('disable')
    .description('disable a user and end their sessions (admins only; the last active admin cannot be disabled)')
    .argument('<name>')
    .action(async (name: string) => {
      const u = await withUser('userDisable', (desk, by) => desk.directory.disable(by, name));
      out(`disabled ${u.name}`);
    });

  users
    .command('roles')
    .description("replace a user's roles (admins only)")
    .argument('<name>')
    .requiredOption('--roles <list>', 'comma-separated roles')
    .action(async (name: string, o: { roles: string }) => {
      const u = await withUser('userSetRoles', (desk, by) => desk.directory.setRoles(by, name, o.roles));
      out(`${u.name}: ${u.roles.join(', ')}`);
    });
}
