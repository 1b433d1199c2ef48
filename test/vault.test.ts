import { describe, expect, it } from 'vitest';
import { Keyring } from '../core/crypto/keyring.ts';
import * as ed from '@noble/ed25519';
import { randomBytes } from 'node:crypto';
import { keyId, publicKeyOf, sign, verify } from '../core/crypto/ed25519.ts';
import { prepareUnlock } from '../core/crypto/prepare-unlock.ts';
import { Desk } from '../core/desk.ts';
import { tempDesk } from './helpers/desk.ts';
import { join } from 'node:path';
import { PassphraseProtector, open, seal } from '../core/crypto/vault.ts';
import { isCustodyError } from '../core/errors.ts';
import { openStore, sql } from '../core/store/db.ts';

const fast = { N: 1 << 10, r: 8, p: 1 }; // keeps the suite quick; the product uses DEFAULT_SCRYPT
const now = '2026-11-22T00:00:00.000Z';

describe('AES-256-GCM sealing', () => {
  const key = new Uint8Array(32).fill(7);
  it('round-trips, and refuses a wrong key, altered ciphertext or a different label', () => {
    const s = seal(key, new TextEncoder().encode('secret'), 'label');
    expect(new TextDecoder().decode(open(key, s, 'label')!)).toBe('secret');
    expect(open(new Uint8Array(32).fill(8), s, 'label')).toBeNull();
    expect(open(key, s, 'other label')).toBeNull();
    const altered = { nonce: s.nonce, ciphertext: Buffer.from(s.ciphertext) };
    altered.ciphertext[0]! ^= 1;
    expect(open(key, altered, 'label')).toBeNull();
  });
});

describe('keyring', () => {
  it('keeps signing keys encrypted at rest and unlocks only with the right passphrase', async () => {
    const db = openStore(':memory:');
    const ring = await Keyring.create(db, new PassphraseProtector('right horse battery staple', fast), now);
    const info = ring.createSigningKey(now);
    const signer = ring.signer();
    expect(signer.keyId).toBe(info.id);
    expect(keyId(signer.publicKey)).toBe(info.id);

    // Nothing in the database is the secret key in clear.
    const rows = db.all<{ ciphertext: Uint8Array }>(sql`SELECT ciphertext FROM vault_secrets`);
    expect(rows).toHaveLength(1);
    const msg = new TextEncoder().encode('fingerprint');
    const sig = signer.sign(msg);
    expect(verify(sig, msg, signer.publicKey)).toBe(true);

    const again = await Keyring.unlock(db, new PassphraseProtector('right horse battery staple', fast));
    expect(Buffer.from(again.signer().publicKey)).toEqual(Buffer.from(signer.publicKey));
    await expect(Keyring.unlock(db, new PassphraseProtector('wrong horse battery staple', fast))).rejects.toSatisfy((e) => isCustodyError(e, 'KEY_LOCKED'));
  });

  it('retires the previous key when a new one is created', async () => {
    const db = openStore(':memory:');
    const ring = await Keyring.create(db, new PassphraseProtector('test passphrase', fast), now);
    const first = ring.createSigningKey(now);
    const second = ring.createSigningKey('2026-11-23T00:00:00.000Z');
    expect(ring.signer().keyId).toBe(second.id);
    expect(first.id).not.toBe(second.id);
  });

  it('refuses an empty passphrase', () => {
    expect(() => new PassphraseProtector('')).toThrow(/empty/);
  });
});

describe('Ed25519', () => {
  it('verifies RFC 8032 test 1 and rejects a changed message', () => {
    const sk = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
    const pk = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex');
    const sig = sign(new Uint8Array(), sk);
    expect(Buffer.from(sig).toString('hex')).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
    expect(verify(sig, new Uint8Array(), pk)).toBe(true);
    expect(verify(sig, new Uint8Array([0]), pk)).toBe(false);
    expect(verify(new Uint8Array(3), new Uint8Array(), pk)).toBe(false);
    expect(Buffer.from(publicKeyOf(sk)).toString('hex')).toBe(pk.toString('hex'));
  });

  it('signs and derives public keys byte for byte as @noble/ed25519 does (OpenSSL signs, noble verifies)', () => {
    for (let i = 0; i < 20; i++) {
      const sk = randomBytes(32);
      const message = randomBytes(i * 13);
      expect(Buffer.from(publicKeyOf(sk)).toString('hex')).toBe(Buffer.from(ed.getPublicKey(sk)).toString('hex'));
      const sig = sign(message, sk);
      expect(Buffer.from(sig).toString('hex')).toBe(Buffer.from(ed.sign(message, sk)).toString('hex'));
      expect(verify(sig, message, publicKeyOf(sk))).toBe(true);
    }
    expect(() => sign(new Uint8Array(), new Uint8Array(31))).toThrow(/32-byte/);
  });
});

describe('the key derivation started before the desk is loaded (prepareUnlock)', () => {
  it('unlocks with the derivation started early, refuses a wrong passphrase started early, and leaves a folder without a desk alone', async () => {
    const desk = await tempDesk('Prepared', 'right horse battery staple');
    const home = desk.home;
    desk.close();
    const right = new PassphraseProtector('right horse battery staple');
    prepareUnlock(home, right);
    expect(right.prepared).toBe(1);
    const opened = Desk.open(home);
    await opened.unlock(right);
    expect(opened.unlocked).toBe(true);
    expect(right.prepared).toBe(0); // the unlock took the derivation started early
    opened.close();

    const wrong = new PassphraseProtector('wrong horse battery staple');
    prepareUnlock(home, wrong);
    expect(wrong.prepared).toBe(1);
    const again = Desk.open(home);
    await expect(again.unlock(wrong)).rejects.toSatisfy((e) => isCustodyError(e, 'KEY_LOCKED'));
    expect(again.unlocked).toBe(false);
    again.close();

    const elsewhere = new PassphraseProtector('right horse battery staple');
    prepareUnlock(join(home, 'no-desk-here'), elsewhere);
    expect(elsewhere.prepared).toBe(0);
  });
});
