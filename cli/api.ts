// The CLI acts through the DeskApi, the contract the desktop app and web mode use: the same argument schemas and
// the same rule of the authorization policy (core/authz/policy.ts) for each command, with the caller known from
// CUSTODY_USER + CUSTODY_PASSWORD or the session of `custody login`.
import type { DeskApi } from '../core/api/desk-api.ts';
import { DeskHost } from '../core/api/handlers.ts';
import { ruleFor, type UseCase } from '../core/authz/policy.ts';
import { Desk, resolveHome } from '../core/desk.ts';
import { actingFor, openDesk } from './commands/auth.ts';

/** Runs one command's work through the DeskApi as the acting user; `keys`: the command needs the vault unlocked. */
export async function withApi<T>(useCase: UseCase, fn: (api: DeskApi, desk: Desk) => Promise<T>, opts: { keys?: boolean } = {}): Promise<T> {
  // Reads open the desk as it is; acts unlock the vault when CUSTODY_PASSPHRASE is there, so their audit entries
  // are signed at once (openDesk).
  const desk = Array.isArray(ruleFor(useCase).who) || opts.keys ? await openDesk(opts) : Desk.open(resolveHome());
  const host = new DeskHost(desk);
  try {
    const actor = await actingFor(desk, useCase);
    return await fn(host.apiAs(actor ? { actor, expiresAt: null } : null), desk);
  } finally {
    await host.close();
    desk.close();
  }
}
