// DeskApi handlers: the approval workflow (core/workflow), acted as the logged-in user, and comments.
import { getRecord } from '../store/records.ts';
import { listWorkflowItemIds } from '../workflow/items.ts';
import type { ItemStatus } from '../workflow/service.ts';
import type { HandlerContext, Handlers } from './context.ts';
import type { DeskResult } from './desk-api.ts';
import { actionable, libraryItem } from './handle-library.ts';

type QueueEntry = DeskResult<'queue'>[number];

const lastActivity = (s: ItemStatus): string => s.history.at(-1)?.at ?? '';

export function workflowHandlers(ctx: HandlerContext): Handlers<
  'queue' | 'submit' | 'approve' | 'reject' | 'requestChanges' | 'resubmit' | 'withdraw' | 'publish' | 'comment'
> {
  const { desk } = ctx;
  const wf = desk.workflow;
  return {
    queue: ({ scope }) => {
      const actor = ctx.as('queue');
      const out: QueueEntry[] = [];
      for (const id of listWorkflowItemIds(desk.store)) {
        const record = getRecord(desk.store, id);
        if (!record) continue;
        const status = wf.status(actor, id);
        if ((scope ?? 'mine') === 'mine' && !actionable(status)) continue;
        out.push({ item: libraryItem(desk, record), status });
      }
      return out.sort((a, b) => lastActivity(b.status).localeCompare(lastActivity(a.status)));
    },

    submit: ({ id, ...o }) => wf.submit(ctx.actor('submit'), id, o),
    approve: ({ id, comment }) => wf.approve(ctx.actor('approve'), id, { comment: comment ?? null }),
    reject: ({ id, comment }) => wf.reject(ctx.actor('reject'), id, { comment }),
    requestChanges: ({ id, comment }) => wf.requestChanges(ctx.actor('requestChanges'), id, { comment }),
    resubmit: ({ id, ...o }) => wf.resubmit(ctx.actor('resubmit'), id, o),
    withdraw: ({ id, comment }) => wf.withdraw(ctx.actor('withdraw'), id, { comment: comment ?? null }),

    publish: async ({ id }) => {
      const { receipt, status } = await wf.publish(ctx.actor('publish'), id);
      return { status, publication: { id: receipt.publicationId, output: receipt.output, sha256: receipt.outputSha256 } };
    },

    comment: ({ id, text }) => desk.comment(ctx.actor('comment'), id, text),
  };
}
