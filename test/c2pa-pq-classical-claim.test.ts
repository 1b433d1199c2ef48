// In hybrid mode, a claim that only the org's classical key signed is not accepted, whatever it carries (found in
// review): a thief of the classical C2PA key re-signed a genuine picture with a made-up caption and no Custody
// assertion at all, and the desk passed it as the org's trusted Content Credentials, the caption counted as signed.
// A file the desk signed before it turned hybrid mode on still passes.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { embedManifest } from '../core/c2pa/embed.ts';
import { withoutManifestStore } from '../core/c2pa/jumbf.ts';
import { DIGITAL_CAPTURE } from '../core/c2pa/manifest.ts';
import { createSigner } from '../core/c2pa/signer.ts';
import { orgPki } from './fixtures/c2pa.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';

const GENUINE = { headline: 'Launch at dawn', caption: 'The rocket leaves the pad at 06:12.' };
const FORGED = { headline: 'FORGED HEADLINE', caption: 'words the organisation never signed' };

describe('a classical-only claim in a hybrid org', () => {
  it('fails the Content Credentials check, and its caption is not counted as signed; a file signed before hybrid mode passes', { timeout: 120_000 }, async () => {
    const pki = await orgPki('ed25519');
    const forger = await createSigner({ chainPem: pki.signingCertPem, keyPkcs8: pki.signingKeyPkcs8 });
    const desk = await tempDesk('Acme News');
    try {
      const admin = desk.bootstrapActor()!;
      desk.addTrustAnchors(admin, pki.rootCertPem);
      const dir = tempDir('custody-pq-classical-');
      const before = join(dir, 'before.png');
      await sharp(photo('camera.png')).png().toFile(before);
      const legacy = await desk.sign(before, { actor: admin, outDir: join(dir, 'signed') });
      desk.setHybridPq(admin, true);
      const input = join(dir, 'rocket.png');
      await sharp(photo('rocket.jpg')).resize(640).png().toFile(input);
      const r = await desk.sign(input, { actor: admin, outDir: join(dir, 'signed'), metadata: GENUINE });
      expect((await desk.verify(r.output)).checks.c2pa).toMatchObject({ status: 'pass', pqSignature: 'pass' });

      const forged = await embedManifest(withoutManifestStore(new Uint8Array(readFileSync(r.output)), 'image/png'), 'image/png', { title: 'rocket', digitalSourceType: DIGITAL_CAPTURE, metadata: FORGED }, forger);
      const path = join(dir, 'forged.png');
      writeFileSync(path, forged);
      const v = await desk.verify(path);
      expect(v.checks.c2pa).toMatchObject({ status: 'fail', pqReason: 'PQ_SIGNATURE_MISSING' });
      expect(JSON.stringify(v.metadata ?? {})).not.toContain('"source":"credentials"');

      // signed before hybrid mode, with no co-signature: this desk holds its record as signed so, and it passes
      const old = await desk.verify(legacy.output);
      expect(old.checks.c2pa).toMatchObject({ status: 'pass', pqSignature: 'absent' });
      expect(old.verdict).toBe('authentic');
    } finally {
      desk.close();
    }
  });
});
