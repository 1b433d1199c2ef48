// `custody audit verify` (exit 0 intact, 1 naming the first bad entry) and `custody audit export`.
import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { EXPORT_FORMATS, exportLines, type ExportFormat } from '../../core/audit/export.ts';
import { auditEntries } from '../../core/audit/log.ts';
import { Desk, resolveHome } from '../../core/desk.ts';
import { CustodyError } from '../../core/errors.ts';
import { err, json, out } from '../context.ts';
import { printableText } from '../printable.ts';
import { withActor } from './auth.ts';

/** Streams lines to FILE (atomically: a temporary file renamed into place) or to stdout. */
function writeLines(lines: Iterable<string>, file: string | undefined): number {
  let n = 0;
  if (!file) {
    for (const l of lines) {
      process.stdout.write(`${printableText(l)}\n`);
      n++;
    }
    return n;
  }
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.part`);
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      let buf = '';
      for (const l of lines) {
        buf += `${l}\n`;
        n++;
        if (buf.length > 1 << 20) {
          writeSync(fd, buf);
          buf = '';
        }
      }
      writeSync(fd, buf);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    throw new CustodyError('IO_ERROR', `expected to write the export to ${file}, but the file system refused: ${(e as Error).message}`);
  } finally {
    rmSync(tmp, { force: true });
  }
  return n;
}

export function register(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log');

  audit
    .command('verify')
    .description('check the hash chain, the signatures and the head checkpoint, and replay every workflow item: exit 0 intact, 1 not')
    .option('--trust-key <hex>', "the org's Ed25519 public key, which the log's first entry must name")
    .option('--json', 'print the report as JSON')
    .action(async (o: { trustKey?: string; json?: boolean }) => {
      // Read-only: the vault stays locked, so entries awaiting their seal are reported as such.
      const desk = Desk.open(resolveHome());
      try {
        const report = desk.audit.verify({ trustKey: o.trustKey ?? null });
        const items = desk.workflow.checkAll();
        const badItems = items.filter((i) => !i.ok);
        const ok = report.ok && badItems.length === 0;
        process.exitCode = ok ? 0 : 1;
        if (o.json) return json({ ...report, ok, workflow: { items: items.length, problems: badItems } });
        if (report.firstBad) {
          out(`audit log BROKEN at entry ${report.firstBad.seq}: ${report.firstBad.message}`);
          for (const p of report.problems.slice(1, 10)) out(`  also entry ${p.seq}: ${p.message}`);
        } else {
          const keys = report.keys.map((k) => k.keyId).join(', ');
          out(`audit log intact: ${report.entries} entries, ${report.sealed} signed (keys ${keys || 'none'})${report.head ? `, head ${report.head.seq} ${report.head.hash.slice(0, 16)}…` : ''}`);
        }
        if (report.pending) out(`  entries ${report.pending.from}–${report.pending.to} are chained but not yet signed: they are sealed the next time the vault is unlocked`);
        for (const i of badItems) out(`workflow item ${i.itemId} does not replay: ${i.problem}`);
        if (items.length > 0 && badItems.length === 0) out(`  ${items.length} workflow item(s) replay to their stored state`);
      } finally {
        desk.close();
      }
    });

  audit
    .command('export')
    .description('write the audit log as JSON Lines (verifiable) or CSV (for spreadsheets); any signed-in user')
    .requiredOption('--format <format>', EXPORT_FORMATS.join(' or '))
    .option('--out <file>', 'write to FILE instead of stdout')
    .action(async (o: { format: string; out?: string }) => {
      if (!(EXPORT_FORMATS as readonly string[]).includes(o.format)) {
        throw new CustodyError('INVALID_ARGUMENT', `expected --format ${EXPORT_FORMATS.join(' or ')}, got ${o.format}`);
      }
      const format = o.format as ExportFormat;
      const n = await withActor((desk, actor) => {
        // The export is itself an act worth recording; it comes first so the export contains it.
        desk.audit.act(() => desk.audit.append({ actor: actor.name, action: 'audit.exported', subject: null, details: { format, to: o.out ?? 'stdout' }, at: new Date().toISOString() }));
        return writeLines(exportLines(auditEntries(desk.store), format), o.out);
      });
      if (o.out) err(`wrote ${format === 'csv' ? n - 1 : n} entries to ${o.out}`);
    });
}
