// C2SP signed notes and tlog checkpoints (core/tlog/note.ts, checkpoint.ts, tlog-proof.ts): the Go sumdb/note known
// answer byte for byte, and every way a note can be refused.
import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../core/crypto/ed25519.ts';
import { checkpointText, openCheckpoint, parseCheckpointText, signCheckpoint } from '../core/tlog/checkpoint.ts';
import { formatVerifierKey, NoteError, noteKeyOf, openNote, parseNote, parseVerifierKey, signNote } from '../core/tlog/note.ts';
import { formatTlogProof, parseTlogProof } from '../core/tlog/tlog-proof.ts';

// golang.org/x/mod/sumdb/note's example (note.go, note_test.go): its signer key is PRIVATE+KEY+name+id+base64(0x01 ‖ seed).
const GO_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_SEED = Buffer.from('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz', 'base64').subarray(1);
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

function reasonOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof NoteError) return e.reason;
    throw e;
  }
  return 'ok';
}

describe('signed notes', () => {
  it('signs and opens the Go known answer byte for byte', () => {
    expect(signNote(GO_TEXT, 'PeterNeumann', new Uint8Array(GO_SEED))).toBe(GO_NOTE);
    const key = parseVerifierKey(GO_VKEY);
    expect(key.name).toBe('PeterNeumann');
    expect(key.id).toBe(0xc74f20a3);
    expect(formatVerifierKey(key)).toBe(GO_VKEY);
    expect(openNote(GO_NOTE, key)).toBe(GO_TEXT);
  });

  it('refuses a changed text, a changed signature, and a note by another key', () => {
    const key = parseVerifierKey(GO_VKEY);
    expect(reasonOf(() => openNote(GO_NOTE.replace('cryptography', 'cryptographY'), key))).toBe('bad-signature');
    expect(reasonOf(() => openNote(GO_NOTE.replace('yyBwJ', 'yyBwK'), key))).toBe('bad-signature');
    const other = generateKeyPair();
    expect(reasonOf(() => openNote(signNote(GO_TEXT, 'PeterNeumann', other.secretKey), key))).toBe('unknown-key');
    expect(reasonOf(() => openNote(signNote(GO_TEXT, 'SomeoneElse', new Uint8Array(GO_SEED)), key))).toBe('unknown-key');
    // Same name and key ID but another public key: the signature is checked, and fails.
    const impostor = { ...key, publicKey: other.publicKey };
    expect(reasonOf(() => openNote(GO_NOTE, impostor))).toBe('bad-signature');
  });

  it('ignores signatures by unknown keys beside the pinned one', () => {
    const key = parseVerifierKey(GO_VKEY);
    const extra = signNote(GO_TEXT, 'witness.example/w1', generateKeyPair().secretKey).split('\n').at(-2);
    expect(openNote(`${GO_NOTE}${extra}\n`, key)).toBe(GO_TEXT);
  });

  it.each([
    ['no trailing newline', GO_NOTE.slice(0, -1)],
    ['no blank line', GO_NOTE.replace('\n\n', '\n')],
    ['no signatures', `${GO_TEXT}\n`],
    ['a line without the em dash', GO_NOTE.replace('— ', '- ')],
    ['bad base64', GO_NOTE.replace('x08go/', 'x08go!')],
    ['a control character', GO_NOTE.replace('answer', 'ans\u0007wer')],
    ['a signature too short', `${GO_TEXT}\n— PeterNeumann AAAA\n`],
  ])('refuses a note with %s', (_what, note) => {
    expect(reasonOf(() => openNote(note, parseVerifierKey(GO_VKEY)))).toBe('malformed');
  });

  it.each([
    ['no id', 'PeterNeumann+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
    ['a wrong id', GO_VKEY.replace('c74f20a3', 'c74f20a4')],
    ['a short key', 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10'],
    ['another type', 'PeterNeumann+c74f20a3+Alpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
    ['an empty name', '+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
  ])('refuses a verifier key with %s', (_what, vkey) => {
    expect(reasonOf(() => parseVerifierKey(vkey))).toBe('malformed');
  });

  it('splits text from signatures at the last blank line', () => {
    const k = generateKeyPair();
    const text = 'line one\n\nline three\n';
    const note = signNote(text, 'a.example/log', k.secretKey);
    expect(parseNote(note).text).toBe(text);
    expect(openNote(note, noteKeyOf('a.example/log', k.publicKey))).toBe(text);
  });
});

describe('checkpoints', () => {
  const k = generateKeyPair();
  const key = noteKeyOf('hub.example/custody', k.publicKey);
  const root = new Uint8Array(32).fill(7);

  it('writes the C2SP tlog-checkpoint body and reads it back', () => {
    const c = { origin: 'hub.example/custody/ten_1', size: 12345, root, extensions: [] };
    expect(checkpointText(c)).toBe(`hub.example/custody/ten_1\n12345\n${Buffer.from(root).toString('base64')}\n`);
    const note = signCheckpoint(c, key.name, k.secretKey);
    expect(openCheckpoint(note, key)).toEqual(c);
  });

  it.each([
    ['leading zeros', 'o\n012\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n'],
    ['a negative size', 'o\n-1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n'],
    ['a short root', 'o\n1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH\n'],
    ['no root', 'o\n1\n'],
    ['an empty origin', '\n1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n'],
  ])('refuses a checkpoint with %s', (_what, text) => {
    expect(reasonOf(() => parseCheckpointText(text))).toBe('malformed');
  });
});

describe('tlog-proof text', () => {
  it('round-trips, with and without hashes and extra data', () => {
    const checkpoint = 'o\n3\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n\n— k AAAAAAAA\n';
    for (const p of [
      { index: 0, hashes: [], checkpoint, extra: null },
      { index: 2, hashes: [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)], checkpoint, extra: Uint8Array.of(1, 2, 3) },
    ]) {
      const text = formatTlogProof(p);
      expect(text.startsWith('c2sp.org/tlog-proof@v1\n')).toBe(true);
      expect(parseTlogProof(text)).toEqual(p);
    }
  });

  it.each([
    ['another header', 'c2sp.org/tlog-proof@v2\nindex 0\n\nx\n'],
    ['no index', 'c2sp.org/tlog-proof@v1\n\nx\n'],
    ['a bad hash', 'c2sp.org/tlog-proof@v1\nindex 0\nAAAA\n\nx\n'],
    ['no checkpoint', 'c2sp.org/tlog-proof@v1\nindex 0\n\n'],
  ])('refuses %s', (_what, text) => {
    expect(reasonOf(() => parseTlogProof(text))).toBe('malformed');
  });
});
