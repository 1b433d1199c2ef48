// The DeskApi's hub methods: the Settings screen's hub status (the link, the outbox, parked rows with the hub's
// reasons, proofs, alarms) for any user, and connecting to the hub for an admin with the vault open: the same core
// code as `custody hub connect` (desk.hub.connect), after which this process syncs.
import { hostname } from 'node:os';
import type { HandlerContext, Handlers } from './context.ts';

export function hubHandlers(ctx: HandlerContext): Handlers<'hubStatus' | 'hubConnect'> {
  return {
    hubStatus: () => {
      ctx.as('hubStatus');
      return ctx.desk.hub.status();
    },
    hubConnect: async ({ url, token, name, insecureHttp, hubKey }) => {
      const link = await ctx.desk.hub.connect(ctx.actor('hubConnect'), { url, token, name: name ?? hostname(), plainHttp: insecureHttp === true, ...(hubKey !== undefined ? { hubKey } : {}) });
      ctx.desk.hub.start();
      return link;
    },
  };
}
