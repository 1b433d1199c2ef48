// Org PKI, chain import and the COSE_Sign1 claim signer.
import { execFileSync } from 'node:child_process';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { C2PA_ALGORITHMS, KEY_PARAMS, SIGN_PARAMS } from '../core/c2pa/algorithms.ts';
import { coseSigStructure, decodeCoseSign1 } from '../core/c2pa/cose.ts';
import { parseChainPem } from '../core/c2pa/certificates.ts';
import { issueSigningCertificate } from '../core/c2pa/pki.ts';
import { checkSigningCertificate, EKU_EMAIL_PROTECTION, importSigningChain } from '../core/c2pa/profile.ts';
import { createExternalSigner, createHeldSigner, createSigner } from '../core/c2pa/signer.ts';
import { subtle, x509, type X509 } from '../core/c2pa/x509.ts';
import { isCustodyError } from '../core/errors.ts';
import { orgPki } from './fixtures/c2pa.ts';

const pkcs8Pem = (der: Uint8Array) =>
  `-----BEGIN PRIVATE KEY-----\n${(Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END PRIVATE KEY-----\n`;

async function rejects(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e, 'expected a rejection').not.toBeNull();
  expect(isCustodyError(e) ? e.code : e).toBe(code);
  expect((e as Error).message).toMatch(message);
}

describe.each(C2PA_ALGORITHMS)('org PKI (%s)', (algorithm) => {
  it('issues a root CA and a signing certificate that meets the C2PA profile', async () => {
    const pki = await orgPki(algorithm);
    const [root] = parseChainPem(pki.rootCertPem);
    const [leaf] = parseChainPem(pki.signingCertPem);
    if (!root || !leaf) throw new Error('missing certificate');

    expect(root.isCa).toBe(true);
    expect(root.subject.text).toBe(root.issuer.text);
    const rootCert = new x509.X509Certificate(root.der);
    expect(await rootCert.isSelfSigned()).toBe(true);
    const rootKu = rootCert.getExtension(x509.KeyUsagesExtension);
    expect(rootKu?.critical).toBe(true);
    expect((rootKu?.usages ?? 0) & x509.KeyUsageFlags.keyCertSign).not.toBe(0);

    expect(leaf.isCa).toBe(false);
    expect(leaf.subject).toMatchObject({ commonName: 'Acme News Content Credentials', organization: 'Acme News' });
    expect(leaf.issuer.text).toBe(root.subject.text);
    expect(leaf.keyAlgorithm).toBe(algorithm);
    const leafCert = new x509.X509Certificate(leaf.der);
    expect(await leafCert.isSelfSigned()).toBe(false);
    expect(await leafCert.verify({ publicKey: rootCert.publicKey, signatureOnly: true })).toBe(true);
    const ku = leafCert.getExtension(x509.KeyUsagesExtension);
    expect(ku?.critical).toBe(true);
    expect((ku?.usages ?? 0) & x509.KeyUsageFlags.digitalSignature).not.toBe(0);
    expect((ku?.usages ?? 0) & x509.KeyUsageFlags.keyCertSign).toBe(0);
    expect(leafCert.getExtension(x509.ExtendedKeyUsageExtension)?.usages.map(String)).toContain(EKU_EMAIL_PROTECTION);

    expect(await checkSigningCertificate(leaf)).toEqual([]);
    const rootProblems = await checkSigningCertificate(root);
    expect(rootProblems.join('\n')).toMatch(/self-signed/);
    expect(rootProblems.join('\n')).toMatch(/CA:true/);
  });

  it.skipIf(!existsSync('/usr/bin/openssl'))('passes OpenSSL chain verification for S/MIME signing', async () => {
    const pki = await orgPki(algorithm);
    const dir = mkdtempSync(join(tmpdir(), 'custody-pki-'));
    try {
      writeFileSync(join(dir, 'root.pem'), pki.rootCertPem);
      writeFileSync(join(dir, 'leaf.pem'), pki.signingCertPem);
      const out = execFileSync('/usr/bin/openssl', ['verify', '-purpose', 'smimesign', '-CAfile', join(dir, 'root.pem'), join(dir, 'leaf.pem')]);
      expect(out.toString()).toMatch(/leaf\.pem: OK/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reissues a signing certificate under the same root (rotation)', async () => {
    const pki = await orgPki(algorithm);
    const next = await issueSigningCertificate({ org: 'Acme News', issuerCertPem: pki.rootCertPem, issuerKeyPkcs8: pki.rootKeyPkcs8 });
    expect(next.signingCertPem).not.toBe(pki.signingCertPem);
    const creds = await importSigningChain({ chainPem: next.signingCertPem + pki.rootCertPem, key: next.signingKeyPkcs8 });
    expect(creds.algorithm).toBe(algorithm);
    const other = await orgPki(algorithm, 'Other Org');
    await rejects(
      issueSigningCertificate({ org: 'Acme News', issuerCertPem: pki.rootCertPem, issuerKeyPkcs8: other.rootKeyPkcs8 }),
      'INVALID_ARGUMENT',
      /issuer private key to match/,
    );
    await rejects(
      issueSigningCertificate({ org: 'Acme News', issuerCertPem: pki.signingCertPem, issuerKeyPkcs8: pki.signingKeyPkcs8 }),
      'INVALID_ARGUMENT',
      /expected a CA certificate as issuer/,
    );
  });

  it('imports a CA-issued chain with its key, leaving out the root', async () => {
    const pki = await orgPki(algorithm);
    const creds = await importSigningChain({ chainPem: pki.signingCertPem + pki.rootCertPem, key: pkcs8Pem(pki.signingKeyPkcs8) });
    expect(creds.algorithm).toBe(algorithm);
    expect(parseChainPem(creds.chainPem)).toHaveLength(1);
    expect(creds.root?.subject.commonName).toBe('Acme News Root CA');
    expect(creds.leaf.subject.commonName).toBe('Acme News Content Credentials');
    expect(Buffer.from(creds.keyPkcs8).equals(Buffer.from(pki.signingKeyPkcs8))).toBe(true);
  });

  it('signs a claim as a COSE_Sign1 that verifies, exactly reserveSize long', async () => {
    const pki = await orgPki(algorithm);
    const signer = await createSigner({ chainPem: pki.signingCertPem, keyPkcs8: pki.signingKeyPkcs8 });
    const claim = new TextEncoder().encode('a claim, as c2pa-rs would pass it');
    const cose = await signer.signClaim(claim);
    expect(cose.length).toBe(signer.reserveSize);
    const d = decodeCoseSign1(cose);
    expect(d.algorithm).toBe(algorithm === 'ed25519' ? -8 : -7);
    expect(d.payload).toBeNull();
    expect(d.chainDer).toHaveLength(1);
    expect(Buffer.from(d.chainDer[0] as Uint8Array).equals(Buffer.from(signer.leaf.der))).toBe(true);
    const pad = d.unprotected.get('pad');
    expect(pad instanceof Uint8Array && pad.every((b) => b === 0)).toBe(true);

    const pub = createPublicKey({ key: Buffer.from(new x509.X509Certificate(signer.leaf.der).publicKey.rawData), format: 'der', type: 'spki' });
    const check = (payload: Uint8Array) =>
      algorithm === 'ed25519'
        ? nodeVerify(null, coseSigStructure(d.protectedHeader, payload), pub, d.signature)
        : nodeVerify('sha256', coseSigStructure(d.protectedHeader, payload), { key: pub, dsaEncoding: 'ieee-p1363' }, d.signature);
    expect(check(claim)).toBe(true);
    expect(check(new TextEncoder().encode('a claim, as c2pa-rs would pass iT'))).toBe(false);
  });

  it("signs with the desk's held chain (read with Node's X.509 reader) as createSigner does", async () => {
    const pki = await orgPki(algorithm);
    const claim = new TextEncoder().encode('a claim, as c2pa-rs would pass it');
    // the stored chain alone, and a bundle ending in its root (which createSigner leaves out)
    for (const chainPem of [pki.signingCertPem, pki.signingCertPem + pki.rootCertPem]) {
      const full = await createSigner({ chainPem, keyPkcs8: pki.signingKeyPkcs8 });
      const held = await createHeldSigner({ chainPem, keyPkcs8: pki.signingKeyPkcs8 });
      expect(held.algorithm).toBe(full.algorithm);
      expect(held.chainPem).toBe(full.chainPem);
      expect(held.reserveSize).toBe(full.reserveSize);
      expect(held.leaf).toEqual(full.leaf);
      const [a, b] = [decodeCoseSign1(await held.signClaim(claim)), decodeCoseSign1(await full.signClaim(claim))];
      expect(Buffer.from(a.protectedHeader).equals(Buffer.from(b.protectedHeader))).toBe(true);
      // Ed25519 is deterministic: the very same COSE bytes
      if (algorithm === 'ed25519') expect(Buffer.from(await held.signClaim(claim)).equals(Buffer.from(await full.signClaim(claim)))).toBe(true);
    }
    // what the held path does not take, createSigner refuses with its reasons
    const later = new Date(Date.now() + 3 * 365 * 86_400_000);
    await rejects(createHeldSigner({ chainPem: pki.signingCertPem, keyPkcs8: pki.signingKeyPkcs8, now: later }), 'INVALID_ARGUMENT', /expired/);
    const other = await orgPki(algorithm, 'Other Org');
    await rejects(createHeldSigner({ chainPem: pki.signingCertPem, keyPkcs8: other.signingKeyPkcs8 }), 'INVALID_ARGUMENT', /does not match/);
    await rejects(createHeldSigner({ chainPem: pki.rootCertPem, keyPkcs8: pki.rootKeyPkcs8 }), 'INVALID_ARGUMENT', /self-signed/);
  });
});

describe('chain import refuses what cannot sign', () => {
  it('a key that does not match the signing certificate', async () => {
    const pki = await orgPki('ed25519');
    const other = await orgPki('ed25519', 'Other Org');
    await rejects(importSigningChain({ chainPem: pki.signingCertPem, key: other.signingKeyPkcs8 }), 'INVALID_ARGUMENT', /does not match/);
    await rejects(createSigner({ chainPem: pki.signingCertPem, keyPkcs8: other.signingKeyPkcs8 }), 'INVALID_ARGUMENT', /does not match/);
    const es = await orgPki('es256');
    await rejects(importSigningChain({ chainPem: pki.signingCertPem, key: pkcs8Pem(es.signingKeyPkcs8) }), 'INVALID_ARGUMENT', /ec \(prime256v1\) key that does not match/);
  });

  it('a self-signed certificate (the root used as signer)', async () => {
    const pki = await orgPki('es256');
    await rejects(importSigningChain({ chainPem: pki.rootCertPem, key: pki.rootKeyPkcs8 }), 'INVALID_ARGUMENT', /self-signed/);
  });

  it('a chain listed root first', async () => {
    const pki = await orgPki('ed25519');
    await rejects(
      importSigningChain({ chainPem: pki.rootCertPem + pki.signingCertPem, key: pki.signingKeyPkcs8 }),
      'INVALID_ARGUMENT',
      /private key of the first certificate/,
    );
  });

  it('a chain whose second certificate is not the issuer', async () => {
    const pki = await orgPki('ed25519');
    const other = await orgPki('ed25519', 'Other Org');
    await rejects(
      importSigningChain({ chainPem: pki.signingCertPem + other.rootCertPem, key: pki.signingKeyPkcs8 }),
      'INVALID_ARGUMENT',
      /to be the issuer of certificate 1/,
    );
  });

  it('a signing certificate without the EKU, or with a non-critical Key Usage', async () => {
    const pki = await orgPki('es256');
    const rootKey = await subtle.importKey('pkcs8', new Uint8Array(pki.rootKeyPkcs8), KEY_PARAMS.es256, false, ['sign']);
    const root = new x509.X509Certificate(pki.rootCertPem);
    const issue = async (extensions: X509.Extension[]) => {
      const keys = (await subtle.generateKey(KEY_PARAMS.es256, true, ['sign', 'verify'])) as CryptoKeyPair;
      const cert = await x509.X509CertificateGenerator.create({
        subject: 'CN=Bad Leaf, O=Acme News',
        issuer: root.subjectName,
        publicKey: keys.publicKey,
        signingKey: rootKey,
        signingAlgorithm: SIGN_PARAMS.es256,
        extensions: [...extensions, await x509.AuthorityKeyIdentifierExtension.create(root.publicKey)],
      });
      return { chainPem: cert.toString('pem'), key: new Uint8Array(await subtle.exportKey('pkcs8', keys.privateKey)) };
    };
    const noEku = await issue([new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)]);
    await rejects(importSigningChain(noEku), 'INVALID_ARGUMENT', /Extended Key Usage extension with emailProtection or documentSigning, got none/);
    const serverAuth = await issue([
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    ]);
    await rejects(importSigningChain(serverAuth), 'INVALID_ARGUMENT', /got 1\.3\.6\.1\.5\.5\.7\.3\.1/);
    const softKu = await issue([
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, false),
      new x509.ExtendedKeyUsageExtension([EKU_EMAIL_PROTECTION]),
    ]);
    await rejects(importSigningChain(softKu), 'INVALID_ARGUMENT', /Key Usage extension to be critical/);
    await rejects(createExternalSigner({ chainPem: softKu.chainPem, sign: () => new Uint8Array(64) }), 'INVALID_ARGUMENT', /critical/);
  });

  it('an expired signing certificate', async () => {
    const pki = await orgPki('ed25519');
    const later = new Date(Date.now() + 3 * 365 * 86_400_000);
    await rejects(importSigningChain({ chainPem: pki.signingCertPem, key: pki.signingKeyPkcs8, now: later }), 'INVALID_ARGUMENT', /expired/);
  });

  it.each([
    ['empty text', '', 'key', /got empty text/],
    ['not PEM', 'hello', 'key', /got text starting "hello"/],
    ['a broken certificate', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 'key', /certificate 1 of 1 to be DER X\.509/],
    ['an encrypted key', 'CERT', '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n', /unencrypted private key/],
    ['a key that is not PEM', 'CERT', 'not a key', /PEM private key/],
    ['key bytes that are not PKCS#8', 'CERT', new Uint8Array([1, 2, 3]), /PKCS#8 DER, got 3 bytes/],
  ] as const)('bad input: %s', async (_name, chain, key, message) => {
    const pki = await orgPki('ed25519');
    await rejects(importSigningChain({ chainPem: chain === 'CERT' ? pki.signingCertPem : chain, key }), 'INVALID_ARGUMENT', message);
  });

  it.each([
    ['no org', { org: '', algorithm: 'ed25519' }, /non-empty org/],
    ['an unknown algorithm', { org: 'Acme', algorithm: 'rsa' }, /"ed25519" or "es256", got "rsa"/],
  ] as const)('createOrgPki refuses %s', async (_name, opts, message) => {
    const { createOrgPki } = await import('../core/c2pa/pki.ts');
    await rejects(createOrgPki(opts as never), 'INVALID_ARGUMENT', message);
  });
});
