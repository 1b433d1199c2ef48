// The DeskApi's hub method: the Settings screen's hub status (the link, the outbox, parked rows with the hub's
// reasons, proofs, alarms); any user (core/authz). Connecting stays with `custody hub connect` (an admin, the vault).
import type { HandlerContext, Handlers } from './context.ts';

export function hubHandlers(ctx: HandlerContext): Handlers<'hubStatus'> {
  return {
    hubStatus: () => {
      ctx.as('hubStatus');
      return ctx.desk.hub.status();
    },
  };
}
