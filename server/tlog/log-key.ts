// The key the hub signs its checkpoints with: an Ed25519 key in the hub vault, named for C2SP signed notes. Created
// at the first start with a passphrase; its verifier key (public) is stored beside it, so `custody hub key` and
// GET /v1/log/key need no passphrase.
import { generateKeyPair, publicKeyOf } from '../../core/crypto/ed25519.ts';
import { CustodyError } from '../../core/errors.ts';
import { formatVerifierKey, noteKeyOf, parseVerifierKey, type NoteKey } from '../../core/tlog/note.ts';
import type { HubKysely } from '../db/schema.ts';
import { HubVault } from '../keys/hub-vault.ts';

export const LOG_KEY_SECRET = 'tlog-signing-key';
/** The key name when none is given: checkpoints' origins are `<name>/<tenant id>`. */
export const DEFAULT_LOG_KEY_NAME = 'custody-hub';

export interface LogKey {
  key: NoteKey;
  secretKey: Uint8Array;
}

/** The hub's checkpoint key, created under `name` on first use (a name given later does not rename it). */
export async function loadLogKey(vault: HubVault, name = DEFAULT_LOG_KEY_NAME): Promise<LogKey> {
  let stored = await vault.get(LOG_KEY_SECRET);
  if (!stored) {
    const pair = generateKeyPair();
    stored = await vault.putIfAbsent(LOG_KEY_SECRET, pair.secretKey, formatVerifierKey(noteKeyOf(name, pair.publicKey)));
  }
  const key = parseVerifierKey(stored.public ?? '');
  if (!Buffer.from(publicKeyOf(stored.secret)).equals(Buffer.from(key.publicKey))) {
    throw new CustodyError('INTEGRITY_FAILED', `expected the stored verifier key ${stored.public} to be the public half of the sealed checkpoint key, got another key`);
  }
  return { key, secretKey: stored.secret };
}

/** The verifier key to pin (`name+id+base64`), or null when the hub has not made one yet. */
export async function logVerifierKey(db: HubKysely): Promise<string | null> {
  return HubVault.publicOf(db, LOG_KEY_SECRET);
}
