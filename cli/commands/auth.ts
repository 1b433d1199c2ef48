// Who is acting: CUSTODY_USER + CUSTODY_PASSWORD (scripts), else the session of `custody login` (a token in
// CUSTODY_HOME/session.json, only its SHA-256 in the database). Commands: login, whoami, logout.
import type { Command } from 'commander';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PassphraseProtector } from '../../core/crypto/vault.ts';
import { Desk, resolveHome } from '../../core/desk.ts';
import { DEFAULT_SESSION_HOURS } from '../../core/directory/directory.ts';
import { authorize, type UseCase } from '../../core/authz/policy.ts';
import type { Actor } from '../../core/directory/roles.ts';
import { CustodyError, isCustodyError } from '../../core/errors.ts';
import { writeFileAtomicSync } from '../../core/store/atomic-file.ts';
import { json, out } from '../context.ts';
import { hiddenPrompt, readPassphrase, stdinLine } from '../passphrase.ts';

export const SESSION_FILE = 'session.json';

interface SessionFile {
  user: string;
  token: string;
  expiresAt: string;
}

const sessionPath = (desk: Desk): string => join(desk.home, SESSION_FILE);

function readSessionFile(desk: Desk): SessionFile | null {
  try {
    const s = JSON.parse(readFileSync(sessionPath(desk), 'utf8')) as Partial<SessionFile>;
    return typeof s.token === 'string' && typeof s.user === 'string' ? { user: s.user, token: s.token, expiresAt: String(s.expiresAt) } : null;
  } catch {
    return null;
  }
}

function writeSessionFile(desk: Desk, s: SessionFile): void {
  writeFileAtomicSync(sessionPath(desk), `${JSON.stringify(s, null, 2)}\n`);
}

/** A password: CUSTODY_PASSWORD, else typed at a hidden prompt. */
export async function readPassword(prompt: string, opts: { confirm?: boolean; env?: boolean } = {}): Promise<string> {
  const fromEnv = process.env.CUSTODY_PASSWORD;
  if ((opts.env ?? true) && fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!process.stdin.isTTY) throw new CustodyError('NOT_AUTHENTICATED', 'expected a password in CUSTODY_PASSWORD or typed at a prompt, got neither (no terminal to prompt on)');
  const first = await hiddenPrompt(prompt);
  if (opts.confirm && (await hiddenPrompt('Repeat the password: ')) !== first) {
    throw new CustodyError('INVALID_ARGUMENT', 'expected the same password twice, got two different ones');
  }
  return first;
}

export interface Acting {
  actor: Actor;
  via: 'environment' | 'session';
  expiresAt: string | null;
}

/** The acting user, or null when none is given (and `required` is false). Wrong credentials always throw. */
export async function currentActor(desk: Desk, opts: { required: true }): Promise<Acting>;
export async function currentActor(desk: Desk, opts: { required: false }): Promise<Acting | null>;
export async function currentActor(desk: Desk, opts: { required: boolean }): Promise<Acting | null> {
  const name = process.env.CUSTODY_USER;
  if (name !== undefined && name !== '') {
    await unlockForDirectory(desk, name);
    const actor = await desk.directory.authenticate(name, await readPassword(`Password for ${name}: `));
    return { actor, via: 'environment', expiresAt: null };
  }
  const s = readSessionFile(desk);
  if (s) {
    try {
      const session = desk.directory.session(s.token);
      return { actor: session.actor, via: 'session', expiresAt: session.expiresAt };
    } catch (e) {
      if (opts.required || !isCustodyError(e, 'NOT_AUTHENTICATED')) throw e;
      return null;
    }
  }
  if (!opts.required) return null;
  throw new CustodyError('NOT_AUTHENTICATED', 'expected a user: set CUSTODY_USER and CUSTODY_PASSWORD, or run `custody login NAME`, got neither');
}

/**
 * Opens the desk for one command. The vault is unlocked when the command needs the keys, or when CUSTODY_PASSPHRASE
 * is set anyway, so that the act's audit entry is signed at once; otherwise the entry is sealed at the next unlock.
 */
export async function openDesk(opts: { keys?: boolean } = {}): Promise<Desk> {
  const desk = Desk.open(resolveHome());
  try {
    if (opts.keys || (process.env.CUSTODY_PASSPHRASE ?? '') !== '') {
      await desk.unlock(new PassphraseProtector(await readPassphrase('Passphrase for the desk keys: ')));
    }
    return desk;
  } catch (e) {
    desk.close();
    throw e;
  }
}

/**
 * A name checked by the newsroom's directory needs the vault open: the service account's password is sealed in it.
 * Local users log in without it, as before.
 */
export async function unlockForDirectory(desk: Desk, name: string): Promise<void> {
  if (desk.unlocked || !desk.ldap.configured || desk.directory.get(name)?.source === 'local') return;
  await desk.unlock(new PassphraseProtector(await readPassphrase('Passphrase for the desk keys (the directory needs them): ')));
}

/**
 * The user acting for this command, checked against the use case's rule. On a desk without users the
 * vault-passphrase holder acts: the vault is unlocked (passphrase from CUSTODY_PASSPHRASE or a prompt) when the
 * rule needs someone.
 */
export async function actingFor(desk: Desk, useCase: UseCase): Promise<Actor | null> {
  const user = (await currentActor(desk, { required: false }))?.actor ?? null;
  const hasUsers = desk.directory.hasUsers();
  if (!user && !hasUsers) {
    try {
      return authorize(useCase, null, false);
    } catch {
      if (!desk.unlocked) await desk.unlock(new PassphraseProtector(await readPassphrase('Passphrase for the desk keys: ')));
      return authorize(useCase, desk.bootstrapActor(), false);
    }
  }
  return authorize(useCase, user, hasUsers);
}

/**
 * Runs fn with the desk and the user acting for the use case, checked by its rule in the authorization policy
 * (on a desk without users, the vault-passphrase holder).
 */
export async function withActor<T>(useCase: UseCase, fn: (desk: Desk, actor: Actor) => Promise<T> | T, opts: { keys?: boolean } = {}): Promise<T> {
  const desk = await openDesk(opts);
  try {
    const actor = await actingFor(desk, useCase);
    if (!actor) throw new CustodyError('NOT_AUTHENTICATED', 'expected a user: set CUSTODY_USER and CUSTODY_PASSWORD, or run `custody login NAME`, got neither');
    return await fn(desk, actor);
  } finally {
    desk.close();
  }
}

export function register(program: Command): void {
  program
    .command('login')
    .description(`open a session as NAME (password from CUSTODY_PASSWORD or a prompt); it expires after --hours (default ${DEFAULT_SESSION_HOURS})`)
    .argument('<name>')
    .option('--hours <n>', 'session length in hours', Number.parseFloat)
    .option('--password-stdin', 'read the password from stdin (one line), for scripts')
    .option('--json', 'print the session as JSON')
    .action(async (name: string, o: { hours?: number; passwordStdin?: boolean; json?: boolean }) => {
      const desk = await openDesk();
      try {
        await unlockForDirectory(desk, name);
        const password = o.passwordStdin ? stdinLine() : await readPassword(`Password for ${name}: `);
        const s = await desk.directory.login(name, password, o.hours !== undefined ? { hours: o.hours } : {});
        const previous = readSessionFile(desk);
        if (previous) desk.directory.logout(previous.token);
        writeSessionFile(desk, { user: s.actor.name, token: s.token, expiresAt: s.expiresAt });
        if (o.json) json({ user: s.actor.name, roles: s.actor.roles, expiresAt: s.expiresAt });
        else out(`logged in as ${s.actor.name} (${s.actor.roles.join(', ')}) until ${s.expiresAt}`);
      } finally {
        desk.close();
      }
    });

  program
    .command('whoami')
    .description('print the acting user, their roles, and how they are known (CUSTODY_USER or a session)')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const desk = await openDesk();
      try {
        const a = await currentActor(desk, { required: true });
        if (o.json) json({ user: a.actor.name, roles: a.actor.roles, via: a.via, expiresAt: a.expiresAt });
        else out(`${a.actor.name} (${a.actor.roles.join(', ') || 'no roles'}), ${a.via === 'session' ? `session until ${a.expiresAt}` : 'from CUSTODY_USER'}`);
      } finally {
        desk.close();
      }
    });

  program
    .command('logout')
    .description('end the session of `custody login`')
    .action(async () => {
      const desk = await openDesk();
      try {
        const s = readSessionFile(desk);
        const ended = s ? desk.directory.logout(s.token) : false;
        rmSync(sessionPath(desk), { force: true });
        out(ended && s ? `logged out ${s.user}` : 'no session to end');
      } finally {
        desk.close();
      }
    });
}
