// RFC 3161 time-stamps on the claim signature, as C2PA 2.x stores them (C2PA 2.1 §10.3.2.5 "Time-stamps"): the
// unprotected COSE header `sigTst2` holds a tstContainer {tstTokens: [{val: TimeStampToken}]}, and the token
// stamps the countersignature structure over the finished signature (cose.ts coseCounterSignStructure). A reader
// then judges the signing certificate at the token's genTime rather than today, so the manifest outlives the
// certificate. The token cannot be part of what the claim signature covers (it stamps that signature), which is
// why it travels beside it, like the ML-DSA co-signature.
// Signing never waits on the TSA for long and never fails because of it: the add-on reports what happened, and a
// desk queues the stamp for later (provenance/timestamps.ts).
import { createHash, randomBytes } from 'node:crypto';
import { CustodyError } from '../errors.ts';
import { coseCounterSignStructure } from './cose.ts';
import { asn1js, pkijs, type Pkijs } from './pkijs.ts';
import type { CoseAddOn } from './signer.ts';
import { ab, imprintMatches, parseToken, SHA256_OID } from './timestamp-token.ts';

/** The unprotected header label of a C2PA v2 time-stamp. */
export const SIGTST2_HEADER = 'sigTst2';
/**
 * Room reserved in the claim signature for a token. c2pa-rs needs the signature's size before it is made, and a
 * token's size depends on the TSA (its certificates above all); one that does not fit is not embedded but queued.
 */
export const TOKEN_RESERVE = 8192;
/** label + the tstContainer's keys and lengths around the token. */
const CONTAINER_OVERHEAD = 48;
export const DEFAULT_TSA_TIMEOUT_MS = 5000;
/** A TimeStampResp is a few KB; a TSA (or something posing as one) that sends more is cut off, not buffered. */
const MAX_REPLY_BYTES = 64 * 1024;

async function readAtMost(res: Response, max: number, tooLarge: () => never): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > max) tooLarge();
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of res.body ?? []) {
    n += (chunk as Uint8Array).length;
    if (n > max) {
      await res.body?.cancel().catch(() => undefined);
      tooLarge();
    }
    chunks.push(chunk as Uint8Array);
  }
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export interface TsaRequestOptions {
  timeoutMs?: number;
}

/** A TSA URL the desk may call: http(s), no credentials in it. */
export function checkTsaUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CustodyError('INVALID_ARGUMENT', `expected a TSA URL like https://tsa.example.com/tsr, got ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new CustodyError('INVALID_ARGUMENT', `expected an http or https TSA URL, got ${JSON.stringify(u.protocol)}`);
  }
  if (u.username || u.password) throw new CustodyError('INVALID_ARGUMENT', 'expected a TSA URL without a user name or password in it (it is stored in clear and shown in settings)');
  return u.toString();
}

/**
 * Asks the TSA at `url` for a token over `data` (RFC 3161 §3.4: a TimeStampReq with a SHA-256 messageImprint, a
 * nonce and certReq, POSTed as application/timestamp-query). Returns the DER TimeStampToken after checking that it
 * answers this request (imprint and nonce). Throws TSA_UNREACHABLE otherwise.
 */
export async function requestTimestamp(url: string, data: Uint8Array, opts: TsaRequestOptions = {}): Promise<Uint8Array> {
  const nonce = new Uint8Array(randomBytes(8));
  nonce[0] = ((nonce[0] as number) & 0x7f) | 0x40; // a positive INTEGER whose DER keeps all eight bytes
  const req = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: SHA256_OID }),
      hashedMessage: new asn1js.OctetString({ valueHex: ab(createHash('sha256').update(data).digest()) }),
    }),
    nonce: new asn1js.Integer({ valueHex: nonce.buffer }),
    certReq: true,
  });
  const fail = (why: string, cause?: unknown): never => {
    throw new CustodyError('TSA_UNREACHABLE', `expected a time-stamp token from ${url}, got ${why}`, { url }, cause === undefined ? undefined : { cause });
  };
  let body: Uint8Array;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
      body: new Uint8Array(req.toSchema().toBER()),
      signal: AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TSA_TIMEOUT_MS),
      redirect: 'error',
    });
    if (!res.ok) fail(`HTTP ${res.status}`);
    body = await readAtMost(res, MAX_REPLY_BYTES, () => fail(`a reply over ${MAX_REPLY_BYTES} bytes`));
  } catch (e) {
    if (e instanceof CustodyError) throw e;
    return fail(`no answer (${(e as Error).name === 'TimeoutError' ? 'timed out' : (((e as Error).cause as Error | undefined)?.message ?? (e as Error).message)})`, e);
  }
  let resp: Pkijs.TimeStampResp;
  try {
    resp = pkijs.TimeStampResp.fromBER(ab(body));
  } catch (e) {
    return fail(`a reply that is not a TimeStampResp (${(e as Error).message})`, e);
  }
  const status = resp.status.status;
  if ((status !== pkijs.PKIStatus.granted && status !== pkijs.PKIStatus.grantedWithMods) || !resp.timeStampToken) {
    return fail(`status ${status}${resp.status.statusStrings?.length ? ` (${resp.status.statusStrings.map((s) => s.valueBlock.value).join('; ')})` : ''}`);
  }
  const token = new Uint8Array(resp.timeStampToken.toSchema().toBER());
  let parsed;
  try {
    parsed = parseToken(token);
  } catch (e) {
    return fail(`a token that does not parse (${(e as Error).message})`, e);
  }
  if (!imprintMatches(parsed, data)) fail('a token over other bytes');
  const echoed = parsed.tstInfo.nonce ? Buffer.from(parsed.tstInfo.nonce.valueBlock.valueHexView) : null;
  if (!echoed || !echoed.equals(nonce)) fail('a token without our nonce (a replayed answer)');
  return token;
}

/** What a time-stamping add-on did while the claim was signed. */
export type StampOutcome =
  | { status: 'embedded'; token: Uint8Array; data: Uint8Array }
  /** No token in the manifest: `data` is what a later run stamps (the same bytes the header would have stamped). */
  | { status: 'queued'; reason: string; data: Uint8Array };

export interface TimestampAddOn extends CoseAddOn {
  readonly url: string;
  /** Set once the claim is signed; null before (or when c2pa-rs never called the signer). */
  readonly outcome: StampOutcome | null;
}

/** The `sigTst2` value for a token (C2PA tstContainer). */
export function tstContainer(token: Uint8Array): Map<string, unknown> {
  return new Map<string, unknown>([['tstTokens', [new Map<string, unknown>([['val', token]])]]]);
}

/**
 * The COSE add-on that time-stamps the claim signature at `url`. When the TSA does not answer in time (or its token
 * does not fit the reserved room) the signature is made without it and `outcome` says what to queue.
 */
export function tsaAddOn(url: string, opts: TsaRequestOptions = {}): TimestampAddOn {
  let outcome: StampOutcome | null = null;
  return {
    reserve: TOKEN_RESERVE + CONTAINER_OVERHEAD,
    url,
    get outcome() {
      return outcome;
    },
    async headers({ protectedHeader, signature }) {
      const data = coseCounterSignStructure(protectedHeader, signature);
      try {
        const token = await requestTimestamp(url, data, opts);
        if (token.length > TOKEN_RESERVE) {
          outcome = { status: 'queued', reason: `the TSA's token (${token.length} bytes) is larger than the ${TOKEN_RESERVE} bytes reserved for it`, data };
          return [];
        }
        outcome = { status: 'embedded', token, data };
        return [[SIGTST2_HEADER, tstContainer(token)]];
      } catch (e) {
        outcome = { status: 'queued', reason: e instanceof Error ? e.message : String(e), data };
        return [];
      }
    },
  };
}
