// COSE_Sign1 (RFC 9052 §4.2) as C2PA uses it for the claim signature (C2PA spec §13.2, "Digital signatures"):
//   18([ protected: bstr .cbor {1: alg, 33: x5chain}, unprotected: {…, "pad": bstr}, payload: nil, signature ])
// The payload is detached: the signature covers Sig_structure ["Signature1", protected, h'', claim]
// (RFC 9052 §4.4). c2pa-rs reserves room for the signature box before the claim is signed, so the COSE bytes must
// be exactly `reserveSize` long; the zero-filled "pad" header (the one c2pa-rs itself writes) takes up the slack.
// x5chain (RFC 9360 §2) is one bstr for a single certificate, else an array, signing certificate first.
import { Decoder, Encoder, Tag } from 'cbor-x';
import { COSE_ALG, type C2paAlgorithm } from './algorithms.ts';

const COSE_SIGN1_TAG = 18;
const HEADER_ALG = 1;
const HEADER_X5CHAIN = 33;

// tagUint8Array: false writes byte strings as plain bstr (cbor-x would otherwise add tag 64).
const encoder = new Encoder({ tagUint8Array: false, useRecords: false, mapsAsObjects: false });
const decoder = new Decoder({ useRecords: false, mapsAsObjects: false });

/** Room for the signature box: the chain plus generous headroom, so the pad is always ≥ 256 bytes long. */
export function coseReserveSize(chainDer: readonly Uint8Array[]): number {
  return chainDer.reduce((n, c) => n + c.length + 8, 0) + 1024;
}

export function coseProtectedHeader(algorithm: C2paAlgorithm, chainDer: readonly Uint8Array[]): Uint8Array {
  const [leaf] = chainDer;
  if (!leaf) throw new Error('coseProtectedHeader: expected at least one certificate, got none');
  const x5chain = chainDer.length === 1 ? leaf : [...chainDer];
  return encoder.encode(
    new Map<number, unknown>([
      [HEADER_ALG, COSE_ALG[algorithm]],
      [HEADER_X5CHAIN, x5chain],
    ]),
  );
}

/** The bytes a COSE_Sign1 signature covers, for a detached payload. */
export function coseSigStructure(protectedHeader: Uint8Array, payload: Uint8Array): Uint8Array {
  return encoder.encode(['Signature1', protectedHeader, new Uint8Array(0), payload]);
}

/**
 * What a C2PA v2 time-stamp (`sigTst2`, C2PA 2.1 §10.3.2.5) stamps: the RFC 9338 countersignature structure
 * ["CounterSignature", protected, h'', payload] whose payload is the claim signature as a CBOR bstr, so the
 * time-stamp covers the finished signature (the "CTT" mode of the COSE TST header draft), chain included.
 */
export function coseCounterSignStructure(protectedHeader: Uint8Array, signature: Uint8Array): Uint8Array {
  return encoder.encode(['CounterSignature', protectedHeader, new Uint8Array(0), encoder.encode(signature)]);
}

/** CBOR for a value (Maps for maps, Uint8Array as bstr): the COSE header values add-ons carry. */
export function encodeCbor(value: unknown): Uint8Array {
  return encoder.encode(value);
}

/**
 * Assembles a tagged COSE_Sign1 with a nil payload, padded to exactly `size` bytes. `extra` unprotected headers
 * (a timestamp, a co-signature) come before the pad.
 */
export function padCoseSign1(protectedHeader: Uint8Array, signature: Uint8Array, size: number, extra: readonly (readonly [string, unknown])[] = []): Uint8Array {
  const encodeWith = (padLength: number): Uint8Array =>
    encoder.encode(new Tag([protectedHeader, new Map<string, unknown>([...extra, ['pad', new Uint8Array(padLength)]]), null, signature], COSE_SIGN1_TAG));
  const bare = encodeWith(0).length;
  const room = size - bare;
  // The pad's own length prefix grows by 0, 1, 2 or 4 bytes with its length; try the few lengths that can fit.
  for (let padLength = room; padLength >= Math.max(0, room - 8); padLength--) {
    const out = encodeWith(padLength);
    if (out.length === size) return out;
  }
  throw new Error(`padCoseSign1: a ${bare}-byte COSE_Sign1 cannot be padded to exactly ${size} bytes`);
}

export interface DecodedCoseSign1 {
  algorithm: number;
  chainDer: Uint8Array[];
  protectedHeader: Uint8Array;
  unprotected: Map<unknown, unknown>;
  payload: Uint8Array | null;
  signature: Uint8Array;
}

/** Decodes a tagged COSE_Sign1 as written above (tests and diagnostics). */
export function decodeCoseSign1(bytes: Uint8Array): DecodedCoseSign1 {
  const top: unknown = decoder.decode(bytes);
  if (!(top instanceof Tag) || top.tag !== COSE_SIGN1_TAG || !Array.isArray(top.value) || top.value.length !== 4) {
    throw new Error('decodeCoseSign1: expected a tag-18 COSE_Sign1 array of four items');
  }
  const [protectedHeader, unprotected, payload, signature] = top.value as unknown[];
  if (!(protectedHeader instanceof Uint8Array) || !(signature instanceof Uint8Array) || !(unprotected instanceof Map)) {
    throw new Error('decodeCoseSign1: expected bstr protected header, map unprotected header, bstr signature');
  }
  const headers: unknown = decoder.decode(protectedHeader);
  if (!(headers instanceof Map)) throw new Error('decodeCoseSign1: expected the protected header to be a map');
  const alg = headers.get(HEADER_ALG);
  const x5: unknown = headers.get(HEADER_X5CHAIN);
  const chainDer = x5 instanceof Uint8Array ? [x5] : Array.isArray(x5) ? (x5 as Uint8Array[]) : [];
  return {
    algorithm: typeof alg === 'number' ? alg : Number.NaN,
    chainDer: chainDer.map((c) => new Uint8Array(c)),
    protectedHeader: new Uint8Array(protectedHeader),
    unprotected,
    payload: payload instanceof Uint8Array ? new Uint8Array(payload) : null,
    signature: new Uint8Array(signature),
  };
}
