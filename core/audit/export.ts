// Audit export: JSON Lines (one canonical-JSON entry a line, verifiable offline with verifyAuditEntries) and CSV
// (RFC 4180, for spreadsheets; not meant to be re-verified, see csvCell).
import { missingCase } from '../errors.ts';
import { canonicalJson } from './canonical-json.ts';
import type { AuditEntry } from './entry.ts';

export const EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const CSV_COLUMNS = ['seq', 'at', 'actor', 'action', 'subject', 'details', 'prev_hash', 'hash', 'key_id', 'signature'] as const;

export function jsonlLine(e: AuditEntry): string {
  return canonicalJson({
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    action: e.action,
    subject: e.subject,
    details: e.details,
    prevHash: e.prevHash,
    hash: e.hash,
    keyId: e.keyId,
    signature: e.signature,
    pendingMac: e.pendingMac,
  });
}

/** Reads a JSON Lines export back into entries (for offline verification). */
export function parseJsonl(text: string): AuditEntry[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      const e = JSON.parse(l) as AuditEntry;
      if (typeof e.seq !== 'number' || typeof e.hash !== 'string') throw new TypeError(`audit export line ${i + 1}: expected an audit entry, got ${l.slice(0, 80)}`);
      return { ...e, pendingMac: e.pendingMac ?? null }; // exports made before pending seals existed
    });
}

/**
 * One CSV cell. A cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading
 * apostrophe (OWASP "CSV injection"): comments are typed by users, and an auditor opens this file in Excel.
 */
export function csvCell(v: string | number | null): string {
  if (v === null) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvHeader(): string {
  return CSV_COLUMNS.join(',');
}

export function csvLine(e: AuditEntry): string {
  return [e.seq, e.at, e.actor, e.action, e.subject, canonicalJson(e.details), e.prevHash, e.hash, e.keyId, e.signature].map(csvCell).join(',');
}

export function* exportLines(entries: Iterable<AuditEntry>, format: ExportFormat): Generator<string> {
  switch (format) {
    case 'jsonl':
      for (const e of entries) yield jsonlLine(e);
      return;
    case 'csv':
      yield csvHeader();
      for (const e of entries) yield csvLine(e);
      return;
    default:
      return missingCase(format);
  }
}
