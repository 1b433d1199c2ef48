// The desktop app's KeyProtector: the vault's data key wrapped by the OS keychain through Electron's safeStorage
// (Keychain on macOS, DPAPI on Windows, libsecret/kwallet on Linux).
import { safeStorage } from 'electron';
import type { KeyProtector, WrappedKey } from '../../core/crypto/vault.ts';
import { CustodyError } from '../../core/errors.ts';

export class KeychainProtector implements KeyProtector {
  readonly kind = 'os-keychain';

  static available(): boolean {
    // On Linux without a keyring daemon safeStorage falls back to a hard-coded key: not a protection.
    return safeStorage.isEncryptionAvailable() && (process.platform !== 'linux' || safeStorage.getSelectedStorageBackend() !== 'basic_text');
  }

  async wrap(dataKey: Uint8Array): Promise<WrappedKey> {
    if (!KeychainProtector.available()) throw new CustodyError('KEY_LOCKED', 'expected an OS keychain to protect the vault, but none is available');
    return { kind: this.kind, params: {}, blob: safeStorage.encryptString(Buffer.from(dataKey).toString('base64')) };
  }

  async unwrap(wrapped: WrappedKey): Promise<Uint8Array> {
    try {
      return Buffer.from(safeStorage.decryptString(Buffer.from(wrapped.blob)), 'base64');
    } catch (e) {
      throw new CustodyError('KEY_LOCKED', `expected the OS keychain to open the vault, but it refused: ${(e as Error).message}`);
    }
  }
}
