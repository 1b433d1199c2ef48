// Every failure a user can cause has a stable code and a sentence saying what was expected and what arrived.

export const ERROR_CODES = [
  'UNSUPPORTED_FORMAT',
  'FILE_TOO_LARGE',
  'IMAGE_TOO_MANY_PIXELS',
  'IMAGE_TOO_SMALL_FOR_WATERMARK',
  'CORRUPT_MEDIA',
  'KEY_LOCKED',
  'NOT_FOUND',
  'NOT_INITIALIZED',
  'ALREADY_INITIALIZED',
  'INVALID_ARGUMENT',
  'NOT_AUTHENTICATED',
  'NOT_PERMITTED',
  'WORKFLOW_TRANSITION_REFUSED',
  /** Stored state that does not match what its own history proves (a replayed workflow, the audit chain). */
  'INTEGRITY_FAILED',
  'HUB_UNREACHABLE',
  /** The RFC 3161 time-stamp authority did not answer with a token (down, timed out, refused, a reply for other bytes). */
  'TSA_UNREACHABLE',
  /** The LDAP/AD directory did not answer (down, firewalled, timed out); a recent login may work offline. */
  'DIRECTORY_UNREACHABLE',
  /** The directory's TLS failed: certificate not signed by the pinned CA, wrong name, StartTLS refused. */
  'DIRECTORY_TLS',
  /** The directory refused the configured service account (DN or password wrong, account locked). */
  'DIRECTORY_SERVICE_BIND',
  /** The directory answered the user or group search with an error (a base DN that does not exist, a refused filter). */
  'DIRECTORY_SEARCH_FAILED',
  'IO_ERROR',
  /** A path the desk may not use: its own data folder, a system folder, outside the allowed roots (core/paths). */
  'PATH_NOT_ALLOWED',
  /** A watched folder is held by another running watcher (core/watch). */
  'WATCH_FOLDER_BUSY',
  /**
   * Bytes this desk has already signed: a person is asked before a second record is made (sign `again`); a watched
   * folder sets a second copy of the same bytes aside instead of signing it twice.
   */
  'ALREADY_SIGNED',
  /** A signature that does not verify with the key it names (the hub's ingest). */
  'SIGNATURE_INVALID',
  /** A record id already stored with other content: ids are accepted once (the hub's ingest). */
  'RECORD_CONFLICT',
  /** More items in one request than the hub takes (ingest, batch verify). */
  'BATCH_TOO_LARGE',
  /** A request body over the hub's size limit. */
  'REQUEST_TOO_LARGE',
  /** Too many requests for an API key, a tenant or an address in the current window. */
  'RATE_LIMITED',
  /** A revoked API key, or a desk whose enrolment was revoked. */
  'REVOKED',
  /** A new vault passphrase that is too short or too easy to guess. */
  'WEAK_PASSPHRASE',
  /** A new user password that is too short or too easy to guess. */
  'WEAK_PASSWORD',
  /** A proof file that is not one: not JSON, a field missing or of the wrong shape, an unreadable checkpoint (core/tlog). */
  'PROOF_MALFORMED',
  /** A proof whose leaf is not what it claims: its bytes do not hash to its leaf hash, or do not match the record. */
  'PROOF_LEAF_MISMATCH',
  /** A proof whose inclusion hashes do not lead from the leaf to the checkpoint's root. */
  'PROOF_INCLUSION_FAILED',
  /** A checkpoint carrying a signature under the pinned hub key's name and id that does not verify. */
  'CHECKPOINT_SIGNATURE_INVALID',
  /** A checkpoint not signed by the pinned hub key at all (another key, or another hub). */
  'CHECKPOINT_WRONG_KEY',
  /** Two checkpoints of one log that do not extend one another: the log was rewritten (or a proof of it is wrong). */
  'LOG_INCONSISTENT',
  /** A leaf no signed checkpoint covers yet: the next one (within the anchoring interval) will. */
  'PROOF_NOT_READY',
  /** The chain's JSON-RPC endpoint did not answer (down, refused, timed out): nothing could be checked there. */
  'CHAIN_UNREACHABLE',
  /** The chain or contract is not the one the proof names or the verifier pinned (another chain id, no registry there). */
  'ANCHOR_WRONG_CHAIN',
  /** The registry holds no batch for this checkpoint's root in this log (or the proof names no chain record at all). */
  'ANCHOR_MISSING',
  /** The registry's batch for this root differs from the proof: another tree size, signer key, transaction or block. */
  'ANCHOR_MISMATCH',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class CustodyError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CustodyError';
    this.code = code;
    this.details = details;
  }
}

export function isCustodyError(e: unknown, code?: ErrorCode): e is CustodyError {
  return e instanceof CustodyError && (code === undefined || e.code === code);
}

/** Exhaustiveness guard for switches over unions (Signal's missingCaseError). */
export function missingCase(x: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(x)}`);
}
