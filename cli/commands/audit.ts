// `custody audit verify` (exit 0 intact, 1 naming the first bad entry) and `custody audit export`.
import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { EXPORT_FORMATS, exportLines, type ExportFormat } from '../../core/audit/export.ts';
import { auditEntries } from '../../core/audit/log.ts';
import { checkRecordRows } from '../../core/provenance/record-binding.ts';
import { CustodyError } from '../../core/errors.ts';
import { err, json, out } from '../context.ts';
import { printableText } from '../printable.ts';
import { actingFor, openDesk, withActor } from './auth.ts';

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

function parseHead(v: string): { seq: number; hash: string } {
  const m = /^(\d+):([0-9a-fA-F]{64})$/.exec(v);
  if (!m) throw new CustodyError('INVALID_ARGUMENT', `expected --known-head SEQ:HASH (a number, a colon, 64 hex digits), got ${JSON.stringify(v)}`);
  return { seq: Number(m[1]), hash: m[2]!.toLowerCase() };
}

export function register(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log');

  audit
    .command('verify')
    .description("check the hash chain, the signatures against the org's keys, the signed heads, the newest head anchored in the hub's log, and replay every workflow item: exit 0 intact, 1 not")
    .option('--trust-key <hex>', "an Ed25519 public key you know to be the org's (repeatable): only these are accepted, never a key found only in the log", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--known-head <seq:hash>', 'a head you recorded earlier (from --json: head.seq and head.hash): the log must still hold it')
    .option('--json', 'print the report as JSON')
    .action(async (o: { trustKey: string[]; knownHead?: string; json?: boolean }) => {
      const knownHead = o.knownHead === undefined ? null : parseHead(o.knownHead);
      // With CUSTODY_PASSPHRASE the vault is opened: the org's keys are the ones it holds (and entries written while
      // it was locked are checked, and signed if their seals hold). Without it, only --trust-key pins the keys.
      const desk = await openDesk();
      try {
        await actingFor(desk, 'auditVerify');
        const report = desk.audit.verify({ trustKeys: o.trustKey, knownHead });
        const items = desk.workflow.checkAll();
        const badItems = items.filter((i) => !i.ok);
        const records = checkRecordRows(desk.store);
        const ok = report.ok && badItems.length === 0 && records.problems.length === 0;
        process.exitCode = ok ? 0 : 1;
        if (o.json) return json({ ...report, ok, workflow: { items: items.length, problems: badItems }, records });
        if (report.firstBad) {
          out(report.firstBad.kind === 'unpinned' ? `audit log NOT VERIFIED: ${report.firstBad.message}` : `audit log BROKEN at entry ${report.firstBad.seq}: ${report.firstBad.message}`);
          for (const p of report.problems.slice(1, 10)) out(`  also entry ${p.seq}: ${p.message}`);
        } else {
          const keys = report.keys.map((k) => k.keyId).join(', ');
          const by = report.pinnedTo === 'vault' ? 'the keys the vault holds' : 'the keys given with --trust-key';
          out(`audit log intact: ${report.entries} entries, ${report.sealed} signed by ${by} (${keys})${report.head ? `, head ${report.head.seq} ${report.head.hash}` : ''}`);
        }
        const a = report.anchored;
        if (a?.state === 'held') out(`  anchored: ${a.detail}; the log still holds it`);
        else if (a?.state === 'none') out(`  ${a.detail}`);
        if (report.pending) out(`  entries ${report.pending.from}–${report.pending.to} were written while the vault was locked: they are checked and signed the next time it is unlocked`);
        for (const i of badItems) out(`workflow item ${i.itemId} does not replay: ${i.problem}`);
        if (items.length > 0 && badItems.length === 0) out(`  ${items.length} workflow item(s) replay to their stored state`);
        for (const r of records.problems) out(`record ${r.recordId} was changed in the database: ${r.problem}`);
        if (records.records > 0 && records.problems.length === 0) out(`  ${records.records} record(s) agree with what was signed of them`);
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
      const n = await withActor('auditExport', (desk, actor) => {
        // The export is itself an act worth recording; it comes first so the export contains it.
        desk.audit.act(() => desk.audit.append({ actor: actor.name, action: 'audit.exported', subject: null, details: { format, to: o.out ?? 'stdout' }, at: new Date().toISOString() }));
        return writeLines(exportLines(auditEntries(desk.store), format), o.out);
      });
      if (o.out) err(`wrote ${format === 'csv' ? n - 1 : n} entries to ${o.out}`);
    });
}
