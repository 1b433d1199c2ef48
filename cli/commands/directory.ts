// `custody directory set|show|test|remove`: the newsroom's LDAP/AD directory that users log in with. Admins only;
// the service account's password goes into the desk's vault (so set and test need the vault passphrase).
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { DirectoryStatus } from '../../core/directory/ldap-admin.ts';
import { CustodyError } from '../../core/errors.ts';
import { json, out } from '../context.ts';
import { hiddenPrompt } from '../passphrase.ts';
import { readPassword } from './auth.ts';
import { withUser } from './users.ts';

/** The configuration file, and the service password when the file carries one (it is taken out of the config). */
export function readConfigFile(file: string): { config: Record<string, unknown>; bindPassword: string | undefined } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CustodyError('INVALID_ARGUMENT', `expected a JSON directory configuration in ${file}, got ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CustodyError('INVALID_ARGUMENT', `expected a JSON object in ${file}, got ${typeof parsed}`);
  const { bindPassword, ...config } = parsed as Record<string, unknown>;
  if (bindPassword !== undefined && typeof bindPassword !== 'string') throw new CustodyError('INVALID_ARGUMENT', `expected bindPassword in ${file} to be a string, got ${typeof bindPassword}`);
  return { config, bindPassword };
}

async function servicePassword(fromFile: string | undefined, stdin: boolean): Promise<string | undefined> {
  if (stdin) return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  if (fromFile !== undefined) return fromFile;
  const env = process.env.CUSTODY_DIRECTORY_PASSWORD;
  if (env !== undefined && env !== '') return env;
  return process.stdin.isTTY ? (await hiddenPrompt('Service account password (empty: keep the stored one): ')) || undefined : undefined;
}

function show(s: DirectoryStatus): void {
  const c = s.config;
  if (!c) return out('no directory configured: users are local to this desk (`custody directory set FILE` to add one)');
  out(`server      ${c.url}${c.url.toLowerCase().startsWith('ldap://') ? ' (StartTLS)' : ''}, CA ${c.caPem ? 'pinned' : 'system roots'}`);
  out(`service     ${c.bindDn} (password ${s.bindPasswordSet ? 'in the vault' : 'MISSING'})`);
  out(`users       ${c.userFilter} under ${c.userBase}`);
  const g = c.groups;
  out(`groups      ${g.mode === 'memberOf' ? `memberOf${g.nested ? ', nested' : ''}` : g.mode === 'inChain' ? `AD in-chain under ${g.base}` : `${g.filter} under ${g.base}`}`);
  for (const r of c.roles) out(`  ${r.group}  →  ${r.roles.join(', ')}`);
  out(`offline     ${c.offlineDays} days; timeout ${c.timeoutMs} ms`);
}

export function register(program: Command): void {
  const dir = program.command('directory').description("log users in with the newsroom's LDAP or Active Directory (admins only)");

  dir
    .command('set')
    .description('set the directory from a JSON file (see docs/directory.md); the service password from the file\'s bindPassword, --bind-password-stdin, CUSTODY_DIRECTORY_PASSWORD or a prompt')
    .argument('<file>')
    .option('--bind-password-stdin', 'read the service account password from stdin')
    .option('--json', 'print the stored configuration as JSON')
    .action(async (file: string, o: { bindPasswordStdin?: boolean; json?: boolean }) => {
      const { config, bindPassword } = readConfigFile(file);
      const password = await servicePassword(bindPassword, o.bindPasswordStdin ?? false);
      const s = await withUser('directorySet', (desk, by) => desk.ldap.set(by, config, password), { keys: true });
      if (o.json) json(s);
      else show(s);
    });

  dir
    .command('show')
    .description('print the directory configuration (never the service password)')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const s = await withUser('directory', (desk, by) => desk.ldap.status(by));
      if (o.json) json(s);
      else show(s);
    });

  dir
    .command('test')
    .description('connect and bind as the service account; with USER, also try their login (password from CUSTODY_PASSWORD or a prompt) and print their groups, recording nothing')
    .argument('[user]')
    .option('--json', 'print as JSON')
    .action(async (user: string | undefined, o: { json?: boolean }) => {
      const login = user ? { user, password: await readPassword(`Directory password for ${user}: `) } : undefined;
      const r = await withUser('directoryTest', (desk, by) => desk.ldap.test(by, login), { keys: true });
      if (o.json) return json(r);
      if (!r.outcome) return out('the directory answered and accepted the service account');
      if (r.outcome.kind === 'refused') {
        out(`refused: ${r.outcome.reason}`);
        process.exitCode = 1;
        return;
      }
      out(`${r.outcome.dn}`);
      for (const g of r.outcome.groups) out(`  in ${g}`);
      out(`roles: ${r.outcome.grant.roles.join(', ') || 'none (this user would be refused)'}`);
    });

  dir
    .command('remove')
    .description('stop directory logins (directory users keep their history but can no longer log in)')
    .action(async () => {
      const removed = await withUser('directoryRemove', (desk, by) => desk.ldap.remove(by));
      out(removed ? 'directory removed: only local users can log in now' : 'no directory was configured');
    });
}
