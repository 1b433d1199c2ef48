// DeskApi bulk work: one workflow action over many items, one item at a time through the same handlers as the
// single actions, so each item is authorized on its own (its action's rule, then the machine's object checks:
// four-eyes, stage roles, submitter). A refusal is that item's result; the rest go on.
import { isCustodyError } from '../errors.ts';
import type { HandlerContext, Handlers } from './context.ts';
import type { DeskResult } from './desk-api.ts';
import { workflowHandlers } from './handle-workflow.ts';

type Result = DeskResult<'bulk'>['results'][number];

export function bulkHandlers(ctx: HandlerContext): Handlers<'bulk'> {
  const wf = workflowHandlers(ctx);
  return {
    bulk: async ({ action, ids, comment, template, classification, flags }) => {
      const c = comment ?? null;
      const one = async (id: string) => {
        switch (action) {
          case 'submit':
            return wf.submit({ id, ...(template ? { template } : {}), ...(classification ? { classification } : {}), ...(flags ? { flags } : {}) });
          case 'approve':
            return wf.approve({ id, comment: c });
          case 'reject':
            return wf.reject({ id, comment: c ?? '' });
          case 'requestChanges':
            return wf.requestChanges({ id, comment: c ?? '' });
          case 'withdraw':
            return wf.withdraw({ id, comment: c });
          case 'publish':
            return (await wf.publish({ id })).status;
          default:
            return missing(action);
        }
      };
      const results: Result[] = [];
      // The same item twice gets one answer each, and the second is the machine's honest refusal.
      for (const id of ids) {
        try {
          const s = await one(id);
          results.push({ id, ok: true, state: s.state, stage: s.stage });
        } catch (e) {
          if (!isCustodyError(e)) throw e;
          results.push({ id, ok: false, code: e.code, message: e.message });
        }
      }
      return { results };
    },
  };
}

function missing(x: never): never {
  throw new Error(`unhandled bulk action ${String(x)}`);
}
