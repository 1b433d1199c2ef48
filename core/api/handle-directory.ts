// DeskApi handlers for the newsroom's directory (LDAP/AD): an admin reads, sets, tests and removes the
// configuration. core/directory/ldap-admin.ts checks the admin role and audits every change.
import type { HandlerContext, Handlers } from './context.ts';

export function directoryHandlers(ctx: HandlerContext): Handlers<'directory' | 'directorySet' | 'directoryTest' | 'directoryRemove'> {
  const { desk } = ctx;
  return {
    directory: () => desk.ldap.status(ctx.actor('read the directory configuration')),
    directorySet: ({ config, bindPassword }) => desk.ldap.set(ctx.actor('configure the directory'), config, bindPassword),
    directoryTest: async ({ user, password }) => {
      const by = ctx.actor('test the directory');
      const r = await desk.ldap.test(by, user !== undefined && password !== undefined ? { user, password } : undefined);
      return r;
    },
    directoryRemove: () => ({ removed: desk.ldap.remove(ctx.actor('remove the directory configuration')) }),
  };
}
