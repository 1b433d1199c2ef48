// The desk confirms on the chain itself what the hub says about it. A proof's chain section (chain id, registry,
// transaction, block) is covered by no signature: the hub (or its network path) could name any transaction, and the
// desk would show the record as anchored. `custody hub check-chain --rpc URL --contract ADDRESS` reads the registry
// the organisation published (read-only) for every held proof whose reference the desk has not confirmed yet
// (core/ledger/verify-anchor.ts, as `custody proof verify --rpc` does for one file): a confirmed reference is marked
// (`chain_checked_at`, and verify then says the desk confirmed it); one the chain does not bear out is an alarm
// (`hub.log_alarm`, like a log that does not extend) and is dropped, so that the record reads "in the organisation's
// log, not yet anchored" and its proof is asked for again. An unreachable node decides nothing.
import type { AuditLog } from '../audit/log.ts';
import { CustodyError, isCustodyError } from '../errors.ts';
import { sql, type ReadableDB, type WritableDB } from '../store/db.ts';
import { getSetting, setSetting } from '../store/settings.ts';
import { parseVerifierKey } from '../tlog/note.ts';
import { parseProofFile, verifyProofFile, type ChainRef } from '../tlog/proof-file.ts';
import { HUB_LOG_KEY_SETTING, logOrigin } from './link.ts';
import { ALARM_ACTION, expectedLeafOf } from './proofs.ts';

/** The node and registry an admin chose for the background sync's check (`custody hub check-chain --remember`). */
export const CHAIN_CHECK_SETTING = 'hub.chain_check';

export interface ChainCheckTarget {
  rpc: string;
  contract: string;
}

/** The remembered node and registry, or null: the background sync then leaves the references as the hub's word. */
export function chainCheckTarget(db: ReadableDB): ChainCheckTarget | null {
  const v = getSetting(db, CHAIN_CHECK_SETTING);
  return v ? (JSON.parse(v) as ChainCheckTarget) : null;
}

/** Checks the shape of a node URL and a registry address (what a typo would otherwise turn into refuted references). */
export function chainCheckTargetOf(rpc: string, contract: string): ChainCheckTarget {
  let u: URL;
  try {
    u = new URL(rpc);
  } catch {
    throw new CustodyError('INVALID_ARGUMENT', `expected an http(s) JSON-RPC URL for the chain, got ${JSON.stringify(rpc)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CustodyError('INVALID_ARGUMENT', `expected an http(s) JSON-RPC URL for the chain, got ${u.protocol}`);
  if (!/^0x[0-9a-fA-F]{40}$/.test(contract)) throw new CustodyError('INVALID_ARGUMENT', `expected the registry's address (0x and 40 hex digits), got ${JSON.stringify(contract)}`);
  return { rpc, contract };
}

/** Remembers (or, with null, forgets) the node and registry; the caller authorises and audits. */
export function setChainCheckTarget(db: WritableDB, target: ChainCheckTarget | null): void {
  if (target) setSetting(db, CHAIN_CHECK_SETTING, JSON.stringify(chainCheckTargetOf(target.rpc, target.contract)));
  else db.run(sql`DELETE FROM settings WHERE key = ${CHAIN_CHECK_SETTING}`);
}

export interface ChainCheckOptions {
  /** The chain's JSON-RPC endpoint. */
  rpc: string;
  /** The registry the organisation published: a proof naming another is refused (ANCHOR_WRONG_CHAIN). */
  contract: string;
  /** Check references confirmed before too (default: only those not yet confirmed). */
  all?: boolean;
  timeoutMs?: number;
  now?: () => Date;
}

export interface ChainCheckReport {
  /** References confirmed on the chain by this run. */
  confirmed: number;
  /** References the chain does not bear out: each an alarm, each dropped. */
  refuted: { recordId: string; code: string; message: string }[];
  /** Why the run stopped early (the node did not answer), or null. */
  error: string | null;
}

export async function checkChainRefs(db: WritableDB, audit: AuditLog, o: ChainCheckOptions): Promise<ChainCheckReport> {
  chainCheckTargetOf(o.rpc, o.contract);
  const keyText = getSetting(db, HUB_LOG_KEY_SETTING);
  if (!keyText) throw new CustodyError('NOT_FOUND', "expected the hub's pinned log key, got none: connect the desk to its hub and sync first");
  const key = parseVerifierKey(keyText);
  const origin = logOrigin(db, key.name);
  const rows = db.all<{ record_id: string; proof: string; chain: string }>(
    o.all ? sql`SELECT record_id, proof, chain FROM hub_proofs WHERE chain IS NOT NULL ORDER BY record_id` : sql`SELECT record_id, proof, chain FROM hub_proofs WHERE chain IS NOT NULL AND chain_checked_at IS NULL ORDER BY record_id`,
  );
  const report: ChainCheckReport = { confirmed: 0, refuted: [], error: null };
  if (rows.length === 0) return report;
  // ethers (about 0.1–0.2 s to load) only when there is something to check: the desk loads this module with its hub
  // code, for every command and every signature
  const { verifyAnchor } = await import('../ledger/verify-anchor.ts');
  for (const row of rows) {
    const chain = JSON.parse(row.chain) as ChainRef;
    try {
      const file = parseProofFile(row.proof);
      const expectLeaf = expectedLeafOf(db, row.record_id, file);
      if (!expectLeaf) throw new CustodyError('NOT_FOUND', `expected record ${row.record_id} on this desk, got none`);
      const verified = verifyProofFile(file, key, { expectLeaf, ...(origin ? { origin } : {}) });
      // the reference kept beside the proof is the one checked, and the one verify shows
      await verifyAnchor({ checkpoint: verified.checkpoint, chain }, { rpc: o.rpc, hubPublicKey: key.publicKey, contract: o.contract, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
      db.run(sql`UPDATE hub_proofs SET chain_checked_at = ${(o.now?.() ?? new Date()).toISOString()} WHERE record_id = ${row.record_id} AND chain = ${row.chain}`);
      report.confirmed++;
    } catch (e) {
      if (!isCustodyError(e)) throw e;
      if (e.code === 'CHAIN_UNREACHABLE') {
        report.error = e.message;
        return report;
      }
      const message = `record ${row.record_id}: the hub's chain reference (chain ${chain.chainId}, transaction ${chain.tx}, block ${chain.block}) is not borne out by the chain: ${e.code}: ${e.message}`;
      audit.act(() => {
        audit.append({ actor: 'desk', action: ALARM_ACTION, subject: row.record_id, details: { code: e.code, message, chain }, at: (o.now?.() ?? new Date()).toISOString() });
        // dropped from the kept file too, so that `custody hub proof` does not hand the reference on
        db.run(sql`UPDATE hub_proofs SET chain = NULL, chain_checked_at = NULL, proof = ${JSON.stringify({ ...(JSON.parse(row.proof) as object), chain: null })} WHERE record_id = ${row.record_id}`);
      });
      report.refuted.push({ recordId: row.record_id, code: e.code, message });
    }
  }
  return report;
}
