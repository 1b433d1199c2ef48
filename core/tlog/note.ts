// C2SP signed-note (c2sp.org/signed-note) with Ed25519 keys: a text ending in a newline, a blank line, then lines
// `— <key name> base64(key ID ‖ signature)`. The key ID is SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4], and a
// verifier key is written `<name>+<key ID, 8 hex>+base64(0x01 ‖ public key)` as Go's golang.org/x/mod/sumdb/note
// does, so a checkpoint the hub signs opens with the Go tooling too.
import { createHash } from 'node:crypto';
import { publicKeyOf, sign as ed25519Sign, verify as ed25519Verify } from '../crypto/ed25519.ts';

const ED25519 = 0x01;
const SIG_PREFIX = '\u2014 ';
/** Signatures read from one note, at most: the spec asks verifiers to accept at least 16. */
const MAX_SIGNATURES = 100;

export interface NoteKey {
  name: string;
  /** uint32, big-endian on the wire. */
  id: number;
  publicKey: Uint8Array;
}

export interface NoteSignature {
  name: string;
  id: number;
  signature: Uint8Array;
}

/** Why a note or key cannot be used: `malformed` (not a signed note or key), `unknown-key` (no signature by the pinned key), `bad-signature` (the pinned key's signature fails). */
export class NoteError extends Error {
  override readonly name = 'NoteError';
  readonly reason: 'malformed' | 'unknown-key' | 'bad-signature';
  constructor(reason: NoteError['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

/** Key names are non-empty, with no Unicode space and no '+'. */
export function isKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && !hasControl(name);
}

/** ASCII controls other than newline, which signed notes forbid. */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 && c !== 0x0a) return true;
  }
  return false;
}

export function noteKeyId(name: string, publicKey: Uint8Array): number {
  const h = createHash('sha256').update(name, 'utf8').update(Uint8Array.of(0x0a, ED25519)).update(publicKey).digest();
  return h.readUInt32BE(0);
}

const hex8 = (id: number) => id.toString(16).padStart(8, '0');

export function noteKeyOf(name: string, publicKey: Uint8Array): NoteKey {
  if (!isKeyName(name)) throw new NoteError('malformed', `expected a key name without spaces or '+', got ${JSON.stringify(name)}`);
  if (publicKey.length !== 32) throw new NoteError('malformed', `expected a 32-byte Ed25519 public key, got ${publicKey.length} bytes`);
  return { name, id: noteKeyId(name, publicKey), publicKey };
}

/** `<name>+<id>+<base64(0x01 ‖ key)>`: what a verifier pins. */
export function formatVerifierKey(k: NoteKey): string {
  return `${k.name}+${hex8(k.id)}+${Buffer.concat([Uint8Array.of(ED25519), k.publicKey]).toString('base64')}`;
}

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64(s: string, what: string): Buffer {
  if (!B64.test(s)) throw new NoteError('malformed', `expected ${what} in standard base64, got ${JSON.stringify(s.slice(0, 60))}`);
  return Buffer.from(s, 'base64');
}

export function parseVerifierKey(vkey: string): NoteKey {
  // The name cannot hold '+', the base64 can: split at the first two.
  const a = vkey.indexOf('+');
  const b = a < 0 ? -1 : vkey.indexOf('+', a + 1);
  if (a <= 0 || b < 0) throw new NoteError('malformed', `expected a verifier key like name+1a2b3c4d+AY…, got ${JSON.stringify(vkey.slice(0, 80))}`);
  const name = vkey.slice(0, a);
  const idHex = vkey.slice(a + 1, b);
  const material = base64(vkey.slice(b + 1), 'the verifier key material');
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new NoteError('malformed', `expected an 8-hex-digit key ID in the verifier key, got ${JSON.stringify(idHex)}`);
  if (material.length !== 33 || material[0] !== ED25519) throw new NoteError('malformed', `expected an Ed25519 verifier key (type 0x01 and 32 bytes), got ${material.length} bytes of type 0x${(material[0] ?? 0).toString(16)}`);
  const key = noteKeyOf(name, new Uint8Array(material.subarray(1)));
  if (hex8(key.id) !== idHex) throw new NoteError('malformed', `expected the key ID ${hex8(key.id)} for this name and key, got ${idHex}`);
  return key;
}

function checkText(text: string): void {
  if (!text.endsWith('\n')) throw new NoteError('malformed', 'expected the note text to end with a newline');
  if (hasControl(text)) throw new NoteError('malformed', 'expected no control characters but newlines in the note text');
}

/** The note with one Ed25519 signature line by (name, secretKey). Ed25519 is deterministic: same text, same note. */
export function signNote(text: string, name: string, secretKey: Uint8Array): string {
  checkText(text);
  const key = noteKeyOf(name, publicKeyOf(secretKey));
  const sig = ed25519Sign(new TextEncoder().encode(text), secretKey);
  const blob = Buffer.alloc(4 + sig.length);
  blob.writeUInt32BE(key.id, 0);
  blob.set(sig, 4);
  return `${text}\n${SIG_PREFIX}${name} ${blob.toString('base64')}\n`;
}

export function parseNote(note: string): { text: string; signatures: NoteSignature[] } {
  if (!note.endsWith('\n')) throw new NoteError('malformed', 'expected a signed note ending with a newline');
  if (hasControl(note)) throw new NoteError('malformed', 'expected no control characters but newlines in the signed note');
  // The text ends at the last blank line.
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('malformed', 'expected a blank line between the note text and its signatures, got none');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new NoteError('malformed', `expected at most ${MAX_SIGNATURES} signatures, got ${lines.length}`);
  const signatures = lines.map((line, i) => {
    if (!line.startsWith(SIG_PREFIX)) throw new NoteError('malformed', `expected signature line ${i + 1} to start with an em dash and a space, got ${JSON.stringify(line.slice(0, 40))}`);
    const rest = line.slice(SIG_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = space < 0 ? '' : rest.slice(0, space);
    if (!isKeyName(name)) throw new NoteError('malformed', `expected signature line ${i + 1} to name its key, got ${JSON.stringify(rest.slice(0, 40))}`);
    const blob = base64(rest.slice(space + 1), `signature ${i + 1}`);
    if (blob.length < 5) throw new NoteError('malformed', `expected signature ${i + 1} to hold a key ID and a signature, got ${blob.length} bytes`);
    return { name, id: blob.readUInt32BE(0), signature: new Uint8Array(blob.subarray(4)) };
  });
  if (signatures.length === 0) throw new NoteError('malformed', 'expected at least one signature line, got none');
  return { text, signatures };
}

/**
 * The note's text, when `key` signed it. Signatures by other keys are ignored, as the spec requires; a signature
 * under the pinned key's name and ID that fails is `bad-signature`; none at all is `unknown-key`.
 */
export function openNote(note: string, key: NoteKey): string {
  const { text, signatures } = parseNote(note);
  const mine = signatures.filter((s) => s.name === key.name && s.id === key.id);
  if (mine.length === 0) {
    const seen = signatures.map((s) => `${s.name}+${hex8(s.id)}`).join(', ');
    throw new NoteError('unknown-key', `expected a signature by ${key.name}+${hex8(key.id)}, got signatures by ${seen} only`);
  }
  const message = new TextEncoder().encode(text);
  for (const s of mine) {
    if (s.signature.length !== 64 || !ed25519Verify(s.signature, message, key.publicKey)) {
      throw new NoteError('bad-signature', `expected the signature by ${key.name}+${hex8(key.id)} to verify over the note text, got one that does not`);
    }
  }
  return text;
}
