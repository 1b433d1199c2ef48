// Words and numbers for people: names, times, workflow states and events.
import type { DeskResult } from '../../core/api/desk-api.ts';

export type WorkflowState = NonNullable<DeskResult<'items'>[number]['workflow']>['state'];
export type EventName = DeskResult<'item'>['workflow']['can'][number];

export const baseName = (p: string): string => p.split(/[\\/]/).pop() ?? p;

export const dateTime = (iso: string): string =>
  new Date(iso).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

/** A precise local time, for logs: 2025-06-01 09:00:12. */
export const stamp = (iso: string): string => {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
};

export const shortHash = (h: string, n = 12): string => (h.length > n ? `${h.slice(0, n)}…` : h);

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export const STATE_LABEL: Record<WorkflowState | 'unsubmitted', string> = {
  unsubmitted: 'Not submitted',
  draft: 'Draft',
  in_review: 'In review',
  changes_requested: 'Changes requested',
  approved: 'Approved',
  published: 'Published',
  rejected: 'Rejected',
  withdrawn: 'Withdrawn',
};

export const EVENT_LABEL: Record<EventName, string> = {
  submit: 'Submitted',
  approve: 'Approved',
  reject: 'Rejected',
  'request-changes': 'Requested changes',
  resubmit: 'Resubmitted',
  withdraw: 'Withdrew',
  publish: 'Published',
};

export const ACTION_LABEL: Record<EventName, string> = {
  submit: 'Submit for approval',
  approve: 'Approve',
  reject: 'Reject',
  'request-changes': 'Request changes',
  resubmit: 'Resubmit',
  withdraw: 'Withdraw',
  publish: 'Publish',
};

export const bytes = (n: number): string =>
  n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(1)} GB` : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(0)} MB` : `${Math.ceil(n / 1024)} KB`;
