// The signature algorithms Custody signs C2PA claims with, and their names in each layer
// (WebCrypto, COSE (RFC 9053 §2.1, RFC 8037), c2pa-rs).

export const C2PA_ALGORITHMS = ['ed25519', 'es256'] as const;
export type C2paAlgorithm = (typeof C2PA_ALGORITHMS)[number];

export function isC2paAlgorithm(x: unknown): x is C2paAlgorithm {
  return typeof x === 'string' && (C2PA_ALGORITHMS as readonly string[]).includes(x);
}

/** WebCrypto key generation / import parameters. */
export const KEY_PARAMS: Record<C2paAlgorithm, Algorithm | EcKeyGenParams> = {
  ed25519: { name: 'Ed25519' },
  es256: { name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams,
};

/** WebCrypto signature parameters (certificate signatures). */
export const SIGN_PARAMS: Record<C2paAlgorithm, Algorithm | EcdsaParams> = {
  ed25519: { name: 'Ed25519' },
  es256: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
};

/** COSE `alg` header values: EdDSA -8, ES256 -7. */
export const COSE_ALG: Record<C2paAlgorithm, number> = { ed25519: -8, es256: -7 };

