// DeskApi handlers for the newsroom's directory (LDAP/AD): an admin reads, sets, tests and removes the
// configuration. The authorization policy (core/authz/policy.ts) says who; core/directory/ldap-admin.ts checks it
// again and audits every change.
import type { HandlerContext, Handlers } from './context.ts';

export function directoryHandlers(ctx: HandlerContext): Handlers<'directory' | 'directorySet' | 'directoryTest' | 'directoryRemove'> {
  const { desk } = ctx;
  return {
    directory: () => desk.ldap.status(ctx.actor('directory')),
    directorySet: ({ config, bindPassword }) => desk.ldap.set(ctx.actor('directorySet'), config, bindPassword),
    directoryTest: async ({ user, password }) => {
      const by = ctx.actor('directoryTest');
      const r = await desk.ldap.test(by, user !== undefined && password !== undefined ? { user, password } : undefined);
      return r;
    },
    directoryRemove: () => ({ removed: desk.ldap.remove(ctx.actor('directoryRemove')) }),
  };
}
