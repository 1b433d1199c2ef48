// Judging an RFC 3161 time-stamp on a claim signature: the one in the manifest's `sigTst2` header, or one the desk
// obtained later and keeps with the record. Every condition has its own reason, so that "a token for other bytes",
// "a token from a TSA we do not trust" and "a forged token" read differently.
import { decodeCoseSign1, coseCounterSignStructure } from './cose.ts';
import type { RawManifest } from './jumbf.ts';
import { SIGTST2_HEADER } from './timestamp.ts';
import { chainProblem, imprintMatches, parseToken, signatureVerifies, timeStampingUsageProblem, tsaName, type ParsedToken } from './timestamp-token.ts';

export type TimestampReason =
  /** Neither the manifest nor the desk holds a time-stamp for this signature. */
  | 'TSA_ABSENT'
  /** The bytes are not a TimeStampToken over a TSTInfo. */
  | 'TSA_TOKEN_MALFORMED'
  /** The token's messageImprint is not the hash of this signature's countersignature structure. */
  | 'TSA_IMPRINT_MISMATCH'
  /** The CMS signature over the TSTInfo does not verify with the certificate the token names (altered, forged). */
  | 'TSA_SIGNATURE_INVALID'
  /** The signing certificate is not a time-stamping certificate (RFC 3161 §2.3). */
  | 'TSA_NOT_TIMESTAMPING'
  /** No TSA trust anchor is configured, so no token can be trusted. */
  | 'TSA_NO_ANCHOR'
  /** The TSA certificate does not chain to a configured TSA trust anchor (valid at genTime). */
  | 'TSA_UNTRUSTED';

export interface TimestampFacts {
  genTime: string;
  tsa: string;
  serial: string;
  /** Where the token was found. */
  source: 'manifest' | 'desk';
}

export type TimestampResult =
  | { status: 'pass'; facts: TimestampFacts; detail: string }
  | { status: 'fail' | 'absent'; reason: TimestampReason; detail: string; facts?: TimestampFacts };

/** The first token of the `sigTst2` header of a COSE_Sign1, or null when it has none. */
export function tokenFromCose(cose: Uint8Array): Uint8Array | null {
  let decoded;
  try {
    decoded = decodeCoseSign1(cose);
  } catch {
    return null;
  }
  const container: unknown = decoded.unprotected.get(SIGTST2_HEADER);
  const tokens = container instanceof Map ? container.get('tstTokens') : undefined;
  const first: unknown = Array.isArray(tokens) ? tokens[0] : undefined;
  const val: unknown = first instanceof Map ? first.get('val') : undefined;
  return val instanceof Uint8Array ? new Uint8Array(val) : null;
}

/** The bytes a v2 time-stamp over this manifest's claim signature must stamp. */
export function stampedBytes(active: RawManifest): Uint8Array {
  const cose = decodeCoseSign1(active.signature);
  return coseCounterSignStructure(cose.protectedHeader, cose.signature);
}

/**
 * Checks `token` as a time-stamp over `data`: parses, imprint, CMS signature, the TSA certificate's usage, and its
 * chain to `anchorsPem` at genTime — in that order, so the first thing wrong is the reason given.
 */
export async function checkTimestamp(token: Uint8Array, data: Uint8Array, anchorsPem: string | null, source: TimestampFacts['source']): Promise<TimestampResult> {
  let t: ParsedToken;
  try {
    t = parseToken(token);
  } catch (e) {
    return { status: 'fail', reason: 'TSA_TOKEN_MALFORMED', detail: `the time-stamp is not an RFC 3161 token (${(e as Error).message})` };
  }
  const facts: TimestampFacts = { genTime: t.genTime.toISOString(), tsa: tsaName(t), serial: t.serialHex, source };
  const at = `${facts.genTime} by ${facts.tsa}`;
  if (!imprintMatches(t, data)) {
    return { status: 'fail', reason: 'TSA_IMPRINT_MISMATCH', facts, detail: `the time-stamp (${at}) was made for other bytes than this claim signature` };
  }
  if (!(await signatureVerifies(t, data))) {
    return { status: 'fail', reason: 'TSA_SIGNATURE_INVALID', facts, detail: `the time-stamp's signature does not verify with the certificate it names (${at}): altered or forged` };
  }
  const usage = t.signer ? timeStampingUsageProblem(t.signer) : 'the token does not carry it';
  if (usage) return { status: 'fail', reason: 'TSA_NOT_TIMESTAMPING', facts, detail: `the time-stamp's certificate is not a TSA certificate: ${usage}` };
  if (!anchorsPem?.trim()) {
    return { status: 'fail', reason: 'TSA_NO_ANCHOR', facts, detail: `a time-stamp ${at}, but no TSA trust anchor is configured to judge it (custody settings set tsa-anchors FILE)` };
  }
  const chain = await chainProblem(t, anchorsPem);
  if (chain) return { status: 'fail', reason: 'TSA_UNTRUSTED', facts, detail: `the time-stamp ${at} does not chain to a trusted TSA: ${chain}` };
  return { status: 'pass', facts, detail: `time-stamped ${at}${source === 'desk' ? ' (obtained after signing, kept by the desk)' : ''}` };
}
