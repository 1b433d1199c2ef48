// The `anchor` check of a verification (issue 16): where the matched record stands in the organisation's
// transparency log, from the proof the desk holds. The held proof is checked again here with the pinned hub key
// against the leaf the desk computes from its own record, so a proof row edited in desk.db is not believed. The
// chain itself is not asked (verification works offline); `custody proof verify --rpc` does that.
import { isCustodyError } from '../errors.ts';
import type { ReadableDB } from '../store/db.ts';
import { getSetting } from '../store/settings.ts';
import { logOrigin, readHubLink } from '../sync/link.ts';
import { HUB_LOG_KEY_SETTING, anchorState, expectedLeafOf, proofOf } from '../sync/proofs.ts';
import { parseVerifierKey } from '../tlog/note.ts';
import { parseProofFile, verifyProofFile } from '../tlog/proof-file.ts';
import type { Check } from './checks.ts';

export function anchorCheck(db: ReadableDB, recordId: string | null): Check {
  if (recordId === null) return { status: 'skipped', reason: 'NO_RECORD', detail: 'no record of this desk matches, so there is no log entry to look up' };
  const state = anchorState(db, recordId, readHubLink(db) !== null);
  if (state.state === 'local') return { status: 'skipped', reason: 'NO_HUB', detail: 'this desk is not connected to a hub, so the record is in no public log' };
  if (state.state === 'pending') return { status: 'absent', state: 'pending', detail: `record ${recordId} is not in the organisation's log yet: ${state.detail}` };
  if (state.state === 'refused') return { status: 'fail', state: 'refused', code: state.code, detail: `record ${recordId} is not in the organisation's log: ${state.detail}` };

  const held = proofOf(db, recordId)!;
  const keyText = getSetting(db, HUB_LOG_KEY_SETTING);
  try {
    const file = parseProofFile(held.file);
    const expectLeaf = expectedLeafOf(db, recordId, file);
    if (!expectLeaf || !keyText) throw new Error('the record or the pinned hub key is missing');
    const key = parseVerifierKey(keyText);
    const origin = logOrigin(db, key.name);
    const verified = verifyProofFile(file, key, { expectLeaf, ...(origin ? { origin } : {}) });
    const where = `leaf ${verified.index} of ${verified.checkpoint.size} in the organisation's log`;
    if (state.state === 'anchored') {
      const c = state.chain;
      return {
        status: 'pass', state: 'anchored', leafIndex: verified.index, treeSize: verified.checkpoint.size, chain: c, chainCheckedAt: state.checkedAt,
        detail: state.checkedAt
          ? `record ${recordId} is ${where}; that checkpoint is registered on chain ${c.chainId} in block ${c.block}${c.timestamp ? ` at ${c.timestamp}` : ''} (transaction ${c.tx}), as this desk confirmed on the chain at ${state.checkedAt}`
          : `record ${recordId} is ${where}; the hub reports that checkpoint registered on chain ${c.chainId} in block ${c.block}${c.timestamp ? ` at ${c.timestamp}` : ''} (transaction ${c.tx}): \`custody hub check-chain\` (or \`custody hub proof\` and \`custody proof verify --rpc\`) check it on the chain`,
      };
    }
    return {
      status: 'absent', state: 'logged', leafIndex: verified.index, treeSize: verified.checkpoint.size,
      detail: `record ${recordId} is ${where} (its checkpoint is signed by the hub), not yet anchored on a chain`,
    };
  } catch (e) {
    const code = isCustodyError(e) ? e.code : 'PROOF_MALFORMED';
    return { status: 'fail', state: 'proof_invalid', code, detail: `the log proof this desk holds for record ${recordId} does not check out (${code}): ${(e as Error).message}` };
  }
}
