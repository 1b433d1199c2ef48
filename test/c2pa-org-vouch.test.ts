// Content Credentials vouch for a Custody record only when their signer is the organisation the record's assertion
// names. A desk that trusts a partner's root (to read the partner's own files) must not let someone holding one of
// the partner's certificates make a copy carry this desk's record: the signature check would then bind the record's
// signature to bytes the organisation never signed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustodyAssertion } from '../core/c2pa/custody-assertion.ts';
import { embedManifest } from '../core/c2pa/embed.ts';
import { DIGITAL_CAPTURE } from '../core/c2pa/manifest.ts';
import { createOrgPki, type OrgPki } from '../core/c2pa/pki.ts';
import { readManifest } from '../core/c2pa/read.ts';
import { createSigner } from '../core/c2pa/signer.ts';
import type { Desk } from '../core/desk.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';

let desk: Desk;
let dir: string;
let own: OrgPki;
let partner: OrgPki;
let genuine: { output: string; recordId: string };
let genuineCustody: CustodyAssertion;
let reencoded: Uint8Array;

const pemKey = (pkcs8: Uint8Array) => `-----BEGIN PRIVATE KEY-----\n${Buffer.from(pkcs8).toString('base64').replace(/.{64}/g, '$&\n').trimEnd()}\n-----END PRIVATE KEY-----\n`;

/** The re-encoded copy, carrying `custody` in a manifest signed with `pki`'s signing certificate. */
async function carry(name: string, pki: OrgPki, custody: CustodyAssertion): Promise<string> {
  const signer = await createSigner({ chainPem: pki.signingCertPem, keyPkcs8: pki.signingKeyPkcs8 });
  const out = join(dir, name);
  writeFileSync(out, await embedManifest(reencoded, 'image/jpeg', { title: name, digitalSourceType: DIGITAL_CAPTURE, custody }, signer));
  return out;
}

beforeAll(async () => {
  dir = tempDir();
  desk = await tempDesk('Daily Planet');
  // The org signs with a chain whose key the test holds, so that it can make a copy the organisation itself vouches for.
  own = await createOrgPki({ org: 'Daily Planet', algorithm: 'ed25519' });
  await desk.importCertificate(desk.bootstrapActor()!, own.signingCertPem, pemKey(own.signingKeyPkcs8));
  desk.addTrustAnchors(desk.bootstrapActor()!, own.rootCertPem);
  // A partner whose files this desk reads: its root is trusted.
  partner = await createOrgPki({ org: 'Gotham Gazette', algorithm: 'ed25519' });
  desk.addTrustAnchors(desk.bootstrapActor()!, partner.rootCertPem);

  const src = join(dir, 'rocket.jpg');
  await sharp(photo('rocket.jpg')).jpeg({ quality: 90 }).toFile(src);
  genuine = await desk.sign(src, { actor: desk.bootstrapActor()!, outDir: join(dir, 'out') });
  genuineCustody = (await readManifest(readFileSync(genuine.output), 'image/jpeg'))!.custody!;
  // The same picture, re-encoded: other bytes, the same content (its pHash and watermark still match the record).
  reencoded = new Uint8Array(await sharp(readFileSync(genuine.output)).jpeg({ quality: 85 }).toBuffer());
}, 120_000);
afterAll(() => desk?.close());

describe('Content Credentials vouch only for their own organisation’s records', () => {
  it('a copy the organisation itself signed, carrying its record: the signature binds through the credentials', async () => {
    const report = await desk.verify(await carry('own.jpg', own, genuineCustody));
    expect(report.recordId).toBe(genuine.recordId);
    expect(report.checks.c2pa).toMatchObject({ status: 'pass', trusted: true, custodyRecordId: genuine.recordId });
    expect(report.checks.signature).toMatchObject({ status: 'pass', binds: 'content-credentials' });
  });

  it('the same copy signed by a trusted partner: its credentials pass for the partner, the record is not bound', async () => {
    const report = await desk.verify(await carry('partner.jpg', partner, genuineCustody));
    expect(report.recordId).toBe(genuine.recordId);
    expect(report.checks.c2pa).toMatchObject({ status: 'pass', trusted: true, signer: { organization: 'Gotham Gazette' } });
    expect(report.checks.c2pa.detail).toContain('names Daily Planet');
    expect(report.checks.signature).toMatchObject({ status: 'absent', reason: 'NOT_BOUND_TO_FILE', recordSignature: 'valid' });
    expect(report.verdict).not.toBe('authentic');
  });

  it('nor when the copied assertion is made to name the partner: the record was signed for another organisation', async () => {
    const renamed = { ...genuineCustody, org: 'Gotham Gazette' };
    const report = await desk.verify(await carry('partner-renamed.jpg', partner, renamed));
    expect(report.checks.c2pa).toMatchObject({ status: 'pass', trusted: true, custodyRecordId: genuine.recordId });
    expect(report.checks.signature).toMatchObject({ status: 'absent', reason: 'NOT_BOUND_TO_FILE', recordSignature: 'valid' });
  });
});
