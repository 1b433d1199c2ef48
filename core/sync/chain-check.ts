// The desk confirms on the chain itself what the hub says about it. A proof's chain section (chain id, registry,
// transaction, block) is covered by no signature: the hub (or its network path) could name any transaction, and the
// desk would show the record as anchored. `custody hub check-chain --rpc URL --contract ADDRESS` reads the registry
// the organisation published (read-only) for every held proof whose reference the desk has not confirmed yet
// (core/ledger/verify-anchor.ts, as `custody proof verify --rpc` does for one file): a confirmed reference is marked
// (`chain_checked_at`, and verify then says the desk confirmed it); one the chain does not bear out is an alarm
// (`hub.log_alarm`, like a log that does not extend) and is dropped, so that the record reads "in the organisation's
// log, not yet anchored" and its proof is asked for again; the refuted reference is remembered (refuted-refs.ts), so
// that the hub serving it again is a standing alarm, not a new one each time (refuted again, it is dropped quietly).
// An unreachable node decides nothing; any other failure checking one reference (a malformed address, a time that is
// not the block's) refutes that reference alone, and the run goes on. The outcome of the last run (when, by whom, with
// which node: ok, nothing to check, the node unreachable, or failed; how many references were checked, confirmed,
// refuted, left) is kept (`hub.chain_check_last`) for the hub status: the background sync's runs show nowhere else.
import type { AuditLog } from '../audit/log.ts';
import { CustodyError, isCustodyError } from '../errors.ts';
import { sql, type ReadableDB, type WritableDB } from '../store/db.ts';
import { getSetting, setSetting } from '../store/settings.ts';
import { parseVerifierKey } from '../tlog/note.ts';
import type { Checkpoint } from '../tlog/checkpoint.ts';
import { isEvmAddress, parseProofFile, verifyProofFile, type ChainRef } from '../tlog/proof-file.ts';
import { HUB_LOG_KEY_SETTING, logOrigin, readHubLink } from './link.ts';
import { ALARM_ACTION, expectedLeafOf } from './proofs.ts';
import { refutedAgain, rememberRefuted, supersedeRefuted, type RefProof } from './refuted-refs.ts';

/** The node and registry an admin chose for the background sync's check (`custody hub check-chain --remember`). */
export const CHAIN_CHECK_SETTING = 'hub.chain_check';

/** The outcome of the last chain check (the background sync's or one by hand), for the hub status. */
export const CHAIN_CHECK_LAST_SETTING = 'hub.chain_check_last';

export interface LastChainCheck {
  /** When the run ended. */
  at: string;
  /** Who ran it: `sync` (the background sync or `custody sync --once`, with the remembered node) or the acting user. */
  by: string;
  rpc: string;
  /**
   * `idle`: no held reference was left to check, and the node was not asked (so this says nothing of it);
   * `unreachable`: the node did not answer (the run stopped, deciding nothing); `failed`: the run threw (error says why).
   */
  outcome: 'ok' | 'idle' | 'unreachable' | 'failed';
  error: string | null;
  /** References the chain answered about (confirmed + refuted), and those the run did not get to. */
  checked: number;
  confirmed: number;
  refuted: number;
  left: number;
}

export function lastChainCheck(db: ReadableDB): LastChainCheck | null {
  const v = getSetting(db, CHAIN_CHECK_LAST_SETTING);
  return v ? (JSON.parse(v) as LastChainCheck) : null;
}

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
  if (!isEvmAddress(contract)) throw new CustodyError('INVALID_ARGUMENT', `expected the registry's address (0x and 40 hex digits, with a right EIP-55 checksum if in mixed case), got ${JSON.stringify(contract)}`);
  return { rpc, contract };
}

/** Remembers (or, with null, forgets) a node and registry checked by chainCheckTargetOf; the caller authorises and audits. */
export function setChainCheckTarget(db: WritableDB, target: ChainCheckTarget | null): void {
  if (target) setSetting(db, CHAIN_CHECK_SETTING, JSON.stringify(target));
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
  /** Who runs the check, as the record of the last one names it (default `sync`). */
  by?: string;
}

export interface ChainCheckReport {
  /** Records' references confirmed on the chain by this run. */
  confirmed: number;
  /** Audit heads' references confirmed on the chain by this run. */
  headsConfirmed: number;
  /**
   * References the chain does not bear out: each an alarm, each dropped (`recordId` null: an audit head's, `seq`).
   * `standing`: the same reference was refuted before for this proof and its alarm stands (refuted-refs.ts): dropped
   * again, without a new alarm.
   */
  refuted: { recordId: string | null; seq?: number; code: string; message: string; standing?: true }[];
  /** Why the run stopped early (the node did not answer), or null. */
  error: string | null;
}

/** One held proof whose chain reference is to be checked: how to read its checkpoint, and where to mark or drop it. */
interface HeldRef {
  /** Whose proof it is (a record's, or an audit head's), and the batch it claims. */
  proof: RefProof;
  treeSize: number;
  chain: ChainRef;
  /** The proof verified again with the pinned key, as verify and audit verify do: its checkpoint. */
  checkpoint(): Checkpoint;
  confirm(at: string): void;
  drop(): void;
}

/** `record rec_…` or `audit head 12`, for messages. */
const labelOf = (p: RefProof): string => ('recordId' in p ? `record ${p.recordId}` : `audit head ${p.seq}`);
/** Whose reference it was, as the report names it (`recordId` null: an audit head's). */
const reportedAs = (p: RefProof): Pick<ChainCheckReport['refuted'][number], 'recordId' | 'seq'> => ('recordId' in p ? { recordId: p.recordId } : { recordId: null, seq: p.seq });

/** The file kept without its chain section, so that `custody hub proof` does not hand a refuted reference on. */
const withoutChain = (proof: string): string => JSON.stringify({ ...(JSON.parse(proof) as object), chain: null });

export async function checkChainRefs(db: WritableDB, audit: AuditLog, o: ChainCheckOptions): Promise<ChainCheckReport> {
  chainCheckTargetOf(o.rpc, o.contract);
  const last = (outcome: LastChainCheck['outcome'], error: string | null, run: HeldRefsRun | null) => {
    const confirmed = run ? run.report.confirmed + run.report.headsConfirmed : 0;
    const refuted = run?.report.refuted.length ?? 0;
    const v: LastChainCheck = { at: (o.now?.() ?? new Date()).toISOString(), by: o.by ?? 'sync', rpc: o.rpc, outcome, error, checked: confirmed + refuted, confirmed, refuted, left: (run?.total ?? 0) - confirmed - refuted };
    setSetting(db, CHAIN_CHECK_LAST_SETTING, JSON.stringify(v));
  };
  let run: HeldRefsRun;
  try {
    run = await checkHeldRefs(db, audit, o);
  } catch (e) {
    last('failed', (e as Error).message, null);
    throw e;
  }
  last(run.total === 0 ? 'idle' : run.report.error === null ? 'ok' : 'unreachable', run.report.error, run);
  return run.report;
}

/** A run's report, and how many references it had to check. */
interface HeldRefsRun {
  report: ChainCheckReport;
  total: number;
}

async function checkHeldRefs(db: WritableDB, audit: AuditLog, o: ChainCheckOptions): Promise<HeldRefsRun> {
  const keyText = getSetting(db, HUB_LOG_KEY_SETTING);
  if (!keyText) throw new CustodyError('NOT_FOUND', "expected the hub's pinned log key, got none: connect the desk to its hub and sync first");
  const key = parseVerifierKey(keyText);
  const origin = logOrigin(db, key.name);
  const link = readHubLink(db);
  const rows = db.all<{ record_id: string; tree_size: number; proof: string; chain: string }>(
    o.all ? sql`SELECT record_id, tree_size, proof, chain FROM hub_proofs WHERE chain IS NOT NULL ORDER BY record_id` : sql`SELECT record_id, tree_size, proof, chain FROM hub_proofs WHERE chain IS NOT NULL AND chain_checked_at IS NULL ORDER BY record_id`,
  );
  // the audit heads' proofs too: the anchored head `custody audit verify` checks the log against
  const heads = db.all<{ seq: number; tree_size: number; proof: string; chain: string }>(
    o.all ? sql`SELECT seq, tree_size, proof, chain FROM hub_audit_proofs WHERE chain IS NOT NULL ORDER BY seq` : sql`SELECT seq, tree_size, proof, chain FROM hub_audit_proofs WHERE chain IS NOT NULL AND chain_checked_at IS NULL ORDER BY seq`,
  );
  const refs: HeldRef[] = [
    ...rows.map((r): HeldRef => ({
      proof: { recordId: r.record_id },
      treeSize: r.tree_size,
      chain: JSON.parse(r.chain) as ChainRef,
      checkpoint: () => {
        const file = parseProofFile(r.proof);
        const expectLeaf = expectedLeafOf(db, r.record_id, file);
        if (!expectLeaf) throw new CustodyError('NOT_FOUND', `expected record ${r.record_id} on this desk, got none`);
        return verifyProofFile(file, key, { expectLeaf, ...(origin ? { origin } : {}) }).checkpoint;
      },
      // the reference kept beside the proof is the one checked, and the one verify shows
      confirm: (at) => db.run(sql`UPDATE hub_proofs SET chain_checked_at = ${at} WHERE record_id = ${r.record_id} AND chain = ${r.chain}`),
      drop: () => db.run(sql`UPDATE hub_proofs SET chain = NULL, chain_checked_at = NULL, proof = ${withoutChain(r.proof)} WHERE record_id = ${r.record_id}`),
    })),
    ...heads.map((h): HeldRef => ({
      proof: { seq: h.seq },
      treeSize: h.tree_size,
      chain: JSON.parse(h.chain) as ChainRef,
      checkpoint: () => {
        if (!link) throw new CustodyError('NOT_FOUND', 'expected the hub link, got none');
        const verified = verifyProofFile(parseProofFile(h.proof), key, { origin: `${key.name}/${link.tenantId}` });
        if (verified.leaf.type !== 'audit-head' || verified.leaf.desk !== link.deskId || verified.leaf.seq !== h.seq) {
          throw new CustodyError('PROOF_LEAF_MISMATCH', `expected the proof of audit head ${h.seq} of desk ${link.deskId}, got another leaf`);
        }
        return verified.checkpoint;
      },
      confirm: (at) => db.run(sql`UPDATE hub_audit_proofs SET chain_checked_at = ${at} WHERE seq = ${h.seq} AND chain = ${h.chain}`),
      drop: () => db.run(sql`UPDATE hub_audit_proofs SET chain = NULL, chain_checked_at = NULL, proof = ${withoutChain(h.proof)} WHERE seq = ${h.seq}`),
    })),
  ];
  const report: ChainCheckReport = { confirmed: 0, headsConfirmed: 0, refuted: [], error: null };
  const run: HeldRefsRun = { report, total: refs.length };
  if (run.total === 0) return run;
  // ethers (about 0.1–0.2 s to load) only when there is something to check: the desk loads this module with its hub
  // code, for every command and every signature
  const { verifyAnchor } = await import('../ledger/verify-anchor.ts');
  const now = () => (o.now?.() ?? new Date()).toISOString();
  for (const ref of refs) {
    // whether the chain was asked: only its answer is remembered as a refutation (a held proof that no longer
    // verifies is dropped with an alarm, but says nothing about the reference)
    let asked = false;
    // Anything but an unreachable node that goes wrong checking one reference is that reference's (the hub's word,
    // in whatever shape it came): it is refuted, and the run goes on with the others. An error that is not a
    // CustodyError must not end the run, or one malformed reference would shield every reference after it.
    let failed: CustodyError | null = null;
    try {
      const checkpoint = ref.checkpoint();
      asked = true;
      await verifyAnchor({ checkpoint, chain: ref.chain }, { rpc: o.rpc, hubPublicKey: key.publicKey, contract: o.contract, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
    } catch (e) {
      failed = isCustodyError(e)
        ? e
        : new CustodyError(asked ? 'ANCHOR_MISMATCH' : 'PROOF_MALFORMED', `expected ${asked ? 'the reference to be checked on the chain' : 'the held proof to be read'}, got an error: ${String((e as Error)?.message ?? e).slice(0, 200)}`, undefined, { cause: e });
    }
    if (!failed) {
      const at = now();
      db.transaction(() => {
        ref.confirm(at);
        supersedeRefuted(db, ref.proof, ref.chain, at);
      });
      report['recordId' in ref.proof ? 'confirmed' : 'headsConfirmed']++;
      continue;
    }
    const e = failed;
    if (e.code === 'CHAIN_UNREACHABLE') {
      report.error = e.message;
      return run;
    }
    const c = ref.chain;
    const at = now();
    const claim = `${labelOf(ref.proof)}: the hub's chain reference (chain ${c.chainId}, transaction ${c.tx}, block ${c.block})`;
    // the same reference refuted before for this proof (for another batch), its alarm standing: no new alarm
    const again = asked && db.transaction(() => {
      if (!refutedAgain(db, ref.proof, ref.treeSize, c, at)) return false;
      ref.drop();
      return true;
    });
    if (again) {
      report.refuted.push({ ...reportedAs(ref.proof), code: e.code, message: `${claim}, refuted before and served again, is still not borne out by the chain (a standing alarm, see \`custody hub status\`): ${e.code}: ${e.message}`, standing: true });
      continue;
    }
    const message = `${claim} is not borne out by the chain: ${e.code}: ${e.message}`;
    audit.act(() => {
      const p = ref.proof;
      audit.append({ actor: 'desk', action: ALARM_ACTION, subject: 'recordId' in p ? p.recordId : null, details: { code: e.code, message, chain: c, ...('seq' in p ? { seq: p.seq } : {}) }, at });
      ref.drop();
      if (asked) rememberRefuted(db, ref.proof, { treeSize: ref.treeSize, chain: c, code: e.code, message, at });
    });
    report.refuted.push({ ...reportedAs(ref.proof), code: e.code, message });
  }
  return run;
}
