// DeskApi handlers: the audit log (core/audit): a filtered page of entries, the integrity check, export.
import { exportLines, type ExportFormat } from '../audit/export.ts';
import { auditEntries } from '../audit/log.ts';
import { checkRecordRows } from '../provenance/record-binding.ts';
import type { AuditEntry } from '../audit/entry.ts';
import type { HandlerContext, Handlers } from './context.ts';

const MIME: Record<ExportFormat, string> = { jsonl: 'application/x-ndjson', csv: 'text/csv' };

export function auditHandlers(ctx: HandlerContext): Handlers<'auditList' | 'auditVerify' | 'auditExport'> {
  const { desk } = ctx;
  return {
    auditList: ({ actor, action, subject, from, to, before, limit }) => {
      ctx.as('auditList');
      const max = limit ?? 200;
      const actions = new Set<string>();
      // Newest first: keep the last `max` matches of a forward scan (the log is read a page at a time).
      const page: AuditEntry[] = [];
      let total = 0;
      let more = false;
      for (const e of auditEntries(desk.store)) {
        total++;
        actions.add(e.action);
        if (before !== undefined && e.seq >= before) continue;
        if (actor && e.actor !== actor) continue;
        if (action && (action.endsWith('.') ? !e.action.startsWith(action) : e.action !== action)) continue;
        if (subject && e.subject !== subject) continue;
        const day = e.at.slice(0, 10);
        if ((from && day < from) || (to && day > to)) continue;
        page.push(e);
        if (page.length > max) {
          page.shift();
          more = true;
        }
      }
      page.reverse();
      return { entries: page, total, next: more ? (page.at(-1)?.seq ?? null) : null, actions: [...actions].sort() };
    },

    auditVerify: () => {
      ctx.as('auditVerify');
      const report = desk.audit.verify();
      const items = desk.workflow.checkAll();
      const bad = items.filter((i) => !i.ok);
      const records = checkRecordRows(desk.store);
      return { ...report, ok: report.ok && bad.length === 0 && records.problems.length === 0, workflow: { items: items.length, problems: bad.map((i) => ({ itemId: i.itemId, problem: i.problem })) }, records };
    },

    auditExport: ({ format }) => {
      const by = ctx.actor('auditExport');
      const at = new Date().toISOString();
      // The export is itself an act worth recording; it comes first so the export contains it.
      desk.audit.act(() => desk.audit.append({ actor: by.name, action: 'audit.exported', subject: null, details: { format, to: 'download' }, at }));
      const lines = [...exportLines(auditEntries(desk.store), format)];
      return {
        filename: `custody-audit-${at.slice(0, 10)}.${format}`,
        mime: MIME[format],
        content: lines.length ? `${lines.join('\n')}\n` : '',
        entries: format === 'csv' ? lines.length - 1 : lines.length,
      };
    },
  };
}
