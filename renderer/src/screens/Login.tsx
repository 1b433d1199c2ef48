// Who is acting: every approval, comment and signature names a user, so a desk with users asks first.
import { useState, type FormEvent } from 'react';
import { desk, errorText } from '../api.ts';
import { Alert } from '../components/Alert.tsx';
import { Unlock } from './Unlock.tsx';

/** directory: names that are not local users are checked by the newsroom's directory, whose service password is in
 * the vault; while the keys are locked, the screen offers to unlock them first. */
export function Login({ org, onLogin, directory = false, unlocked = true }: { org: string; onLogin: () => void; directory?: boolean; unlocked?: boolean }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    desk.login({ name: name.trim(), password }).then(
      () => {
        setPassword('');
        onLogin();
      },
      (err: unknown) => {
        setError(errorText(err));
        setBusy(false);
      },
    );
  };
  return (
    <main className="login" id="main">
      {directory && !unlocked && <Unlock onDone={onLogin} />}
      <form className="card" onSubmit={submit} aria-labelledby="login-h">
        <h1 id="login-h">Custody</h1>
        <p className="muted">{org}</p>
        {directory && <p className="muted">Log in with your newsroom (directory) user name and password.</p>}
        <label>
          User name
          <input value={name} autoFocus autoComplete="username" required onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Password
          <input type="password" value={password} autoComplete="current-password" required onChange={(e) => setPassword(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={busy}>{busy ? 'Checking…' : 'Log in'}</button>
        <Alert text={error} />
        <p className="muted">
          No account? <a href="#/verify">Verify a file without logging in</a>.
        </p>
      </form>
    </main>
  );
}
