// DeskApi handlers: the desk, who is acting (login sessions of core/directory), and the host's native dialogs.
import { allowedUseCases } from '../authz/policy.ts';
import { PassphraseProtector } from '../crypto/vault.ts';
import { CustodyError } from '../errors.ts';
import type { HandlerContext, Handlers } from './context.ts';
import { CUSTODY_VERSION as version } from '../version.ts';

const noDialogs = (): never => {
  throw new CustodyError('NOT_PERMITTED', 'expected the desktop app to show a native dialog, got a host without one (web mode: drop or choose files in the page)');
};

export function sessionHandlers(ctx: HandlerContext): Handlers<'info' | 'unlock' | 'login' | 'logout' | 'whoami' | 'pickFiles' | 'pickFolder'> {
  const { desk, hooks, session } = ctx;
  return {
    info: () => ({
      org: desk.info.org,
      unlocked: desk.unlocked,
      version,
      users: desk.directory.hasUsers(),
      directory: desk.ldap.configured,
      host: { kind: hooks.kind ?? 'test', nativeDialogs: hooks.dialogs !== undefined },
    }),

    unlock: async ({ passphrase }) => {
      await desk.unlock(new PassphraseProtector(passphrase));
      await hooks.afterUnlock?.(desk);
      return { unlocked: true };
    },

    login: async ({ name, password }) => {
      const s = await desk.directory.login(name, password);
      const previous = session.get();
      if (previous) desk.directory.logout(previous);
      session.set(s.token);
      return { user: { name: s.actor.name, roles: s.actor.roles }, expiresAt: s.expiresAt };
    },

    logout: () => {
      const token = session.get();
      session.set(null);
      return { loggedOut: token ? desk.directory.logout(token) : false };
    },

    whoami: () => {
      const acting = ctx.current();
      return {
        user: acting ? { name: acting.actor.name, roles: acting.actor.roles } : null,
        mode: desk.directory.hasUsers() ? 'users' : 'single-user',
        expiresAt: acting?.expiresAt ?? null,
        may: allowedUseCases(acting?.actor ?? null, desk.directory.hasUsers()),
      };
    },

    pickFiles: async ({ purpose, multiple }) => ({ paths: hooks.dialogs ? await hooks.dialogs.pickFiles({ purpose, multiple: multiple ?? false }) : noDialogs() }),
    // The dialog opens at the first allowed root; the path chosen is judged when it is used (watchAdd, sign).
    pickFolder: async ({ purpose }) => {
      const start = desk.allowedRoots[0];
      return { path: hooks.dialogs ? await hooks.dialogs.pickFolder({ purpose, ...(start ? { defaultPath: start } : {}) }) : noDialogs() };
    },
  };
}
