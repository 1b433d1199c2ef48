// `custody proof verify PROOF`: checks a transparency-log proof file (docs/anchoring.md) with the hub's pinned key and
// nothing else: no hub, no desk. Exit 0 only when everything holds; a proof that fails prints `error CODE: …` and
// exits 1 (the code says which check failed); anything else (an unreadable file, a malformed --hub-key) exits 2.
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { CustodyError, isCustodyError, type ErrorCode } from '../../core/errors.ts';
import { NoteError, parseVerifierKey, type NoteKey } from '../../core/tlog/note.ts';
import { parseProofFile, verifyProofFile, type ChainRef, type VerifiedProof } from '../../core/tlog/proof-file.ts';
import { REGISTRY_VERSION } from '../../core/ledger/registry.ts';
import { verifyAnchor } from '../../core/ledger/verify-anchor.ts';
import { err, json, out } from '../context.ts';

/** What makes a proof fail (exit 1); other errors are the command's own (exit 2). */
const PROOF_FAILURES: readonly ErrorCode[] = [
  'PROOF_MALFORMED', 'PROOF_LEAF_MISMATCH', 'PROOF_INCLUSION_FAILED', 'CHECKPOINT_SIGNATURE_INVALID', 'CHECKPOINT_WRONG_KEY', 'SIGNATURE_INVALID',
  'ANCHOR_WRONG_CHAIN', 'ANCHOR_MISSING', 'ANCHOR_MISMATCH',
];

interface VerifyOptions {
  hubKey?: string;
  rpc?: string;
  contract?: string;
  json?: boolean;
}

type ChainStatus =
  | { status: 'not on chain' }
  | { status: 'unchecked'; ref: ChainRef }
  | { status: 'on chain'; ref: ChainRef; logId: string; submitter: string; blockTime: string; consistencyChecked: boolean };

/**
 * The chain step. Without a chain section the checkpoint was not (yet) anchored: "not on chain" (a failure,
 * ANCHOR_MISSING, when --rpc asks for the chain). With --rpc, the ProvenanceRegistry is read to confirm that the
 * checkpoint's root was registered at its tree size for the pinned hub key by the tenant's anchoring key, in the
 * transaction and block the proof names (core/ledger/verify-anchor.ts).
 */
async function chainStep(v: VerifiedProof, key: NoteKey, o: VerifyOptions): Promise<ChainStatus> {
  if (o.rpc) {
    const c = await verifyAnchor(v, { rpc: o.rpc, hubPublicKey: key.publicKey, contract: o.contract! });
    return { status: 'on chain', ref: c.ref, logId: c.logId, submitter: c.batch.submitter, blockTime: c.blockTime, consistencyChecked: c.consistencyChecked };
  }
  if (!v.chain) return { status: 'not on chain' };
  return { status: 'unchecked', ref: v.chain };
}

/** The pinned key: a verifier key (`name+id+base64`), a file holding one, or CUSTODY_HUB_KEY. */
function pinnedKey(arg: string | undefined): NoteKey {
  const raw = arg ?? process.env.CUSTODY_HUB_KEY;
  if (!raw) throw new CustodyError('INVALID_ARGUMENT', "expected the hub's verifier key in --hub-key or CUSTODY_HUB_KEY (`custody hub key` prints it), got neither");
  const text = !raw.includes('+') && existsSync(raw) ? readFileSync(raw, 'utf8').trim() : raw.trim();
  try {
    return parseVerifierKey(text);
  } catch (e) {
    if (e instanceof NoteError) throw new CustodyError('INVALID_ARGUMENT', `expected --hub-key to be a verifier key: ${e.message}`);
    throw e;
  }
}

export async function verifyProofCommand(path: string, o: VerifyOptions): Promise<void> {
  // The registry is the verifier's to name: the address in the proof is the hub's word, and a hub could name a
  // contract it deployed itself and registered whatever it liked in.
  if (o.rpc && !o.contract) throw new CustodyError('INVALID_ARGUMENT', "expected --contract ADDRESS with --rpc: the registry your organisation published (the address `custody hub chain deploy` printed); the address the proof names is the hub's own word");
  const key = pinnedKey(o.hubKey);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CustodyError('IO_ERROR', `expected a readable proof file at ${path}, got: ${(e as Error).message}`);
  }
  let v: VerifiedProof;
  let chain: ChainStatus;
  try {
    v = verifyProofFile(parseProofFile(text), key);
    chain = await chainStep(v, key, o);
  } catch (e) {
    if (!isCustodyError(e) || !PROOF_FAILURES.includes(e.code)) throw e;
    if (o.json) json({ ok: false, code: e.code, message: e.message });
    else err(`error ${e.code}: ${e.message}`);
    process.exitCode = 1;
    return;
  }
  const what = v.leaf.type === 'record' ? `record ${v.leaf.id}` : `audit head ${v.leaf.seq} of desk ${v.leaf.desk}`;
  const root = Buffer.from(v.checkpoint.root).toString('base64');
  if (o.json) {
    json({ ok: true, leaf: v.leaf, index: v.index, origin: v.checkpoint.origin, size: v.checkpoint.size, root, chain });
    return;
  }
  out(`proof ok: ${what} is leaf ${v.index} of ${v.checkpoint.size} in ${v.checkpoint.origin}`);
  out(`  leaf        its hash, its record and the desk's signature hold`);
  out(`  checkpoint  signed by ${key.name}+${key.id.toString(16).padStart(8, '0')}, root ${root}`);
  out(`  inclusion   the inclusion hashes lead from the leaf to that root`);
  out(chain.status === 'not on chain'
    ? '  chain       not on chain'
    : chain.status === 'unchecked'
      ? `  chain       on chain ${chain.ref.chainId}, contract ${chain.ref.contract}, tx ${chain.ref.tx}, block ${chain.ref.block} (not checked: give --rpc)`
      : `  chain       on chain ${chain.ref.chainId}: registered by ${chain.submitter} (the log's anchoring key) in tx ${chain.ref.tx}, block ${chain.ref.block} at ${chain.blockTime}, contract ${chain.ref.contract}`);
  if (chain.status === 'on chain' && !chain.consistencyChecked) {
    out(`  warning     the registry ${chain.ref.contract} predates consistency checks (no VERSION ${REGISTRY_VERSION}): it takes any root at a larger size, so the log's key could have anchored another history for other verifiers (a split view is not ruled out)`);
  }
}

export function register(program: Command): void {
  const proof = program.command('proof').description('transparency-log proofs of records and audit heads (checked with the hub key alone)');
  proof
    .command('verify <file>')
    .description("check a proof file with the hub's pinned key, no hub needed: exit 0 when the leaf, the checkpoint signature and the inclusion hashes all hold, 1 with the failing check's code otherwise")
    .option('--hub-key <key>', "the hub's verifier key (name+id+base64, as `custody hub key` prints it) or a file holding it; default CUSTODY_HUB_KEY")
    .option('--rpc <url>', "also read the ProvenanceRegistry through this chain's JSON-RPC endpoint (read-only) and confirm the anchor")
    .option('--contract <address>', 'with --rpc (and required with it): the registry address your organisation published, which the proof must name')
    .option('--json', 'print the result as JSON')
    .action((file: string, o: VerifyOptions) => verifyProofCommand(file, o));
}
