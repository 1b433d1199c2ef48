// The desk's keys are locked (no OS keychain entry yet, or it refused): the vault passphrase opens them.
import { useState, type FormEvent } from 'react';
import { desk, errorText } from '../api.ts';
import { Alert } from '../components/Alert.tsx';

export function Unlock({ onDone }: { onDone: () => void }) {
  const [passphrase, setPassphrase] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    desk.unlock({ passphrase }).then(onDone, (err: unknown) => setError(errorText(err)));
  };
  return (
    <form onSubmit={submit} className="card unlock" aria-label="Unlock the desk keys">
      <strong>The desk keys are locked.</strong> Signing, publishing and watched folders need them.
      <div className="row">
        <input type="password" aria-label="Passphrase" placeholder="Vault passphrase" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} />
        <button type="submit" className="primary">Unlock</button>
      </div>
      <Alert text={error} />
    </form>
  );
}
