// The newsroom's directory (LDAP/AD): the configuration as JSON that admins edit (the desk validates it), the
// service account's password (it goes into the vault and is never shown again), and a test of a login.
import { useEffect, useState } from 'react';
import type { DeskArgs, DeskResult } from '../../../../core/api/desk-api.ts';
import { desk, errorText } from '../../api.ts';
import { Alert } from '../../components/Alert.tsx';
import { useLoad } from '../../hooks.ts';

// Where a new configuration starts: OpenLDAP with the memberof overlay (docs/directory.md has the AD one).
const EXAMPLE = {
  url: 'ldaps://ldap.example.org:636',
  caPem: null,
  bindDn: 'cn=custody,ou=services,dc=example,dc=org',
  userBase: 'ou=people,dc=example,dc=org',
  userFilter: '(uid={user})',
  groups: { mode: 'memberOf', nested: true },
  roles: [
    { group: 'cn=custody-admins,ou=groups,dc=example,dc=org', roles: ['admin'] },
    { group: 'cn=editors,ou=groups,dc=example,dc=org', roles: ['editor'] },
  ],
  offlineDays: 7,
  timeoutMs: 5000,
};

type Tested = DeskResult<'directoryTest'>;

export function Directory({ isAdmin }: { isAdmin: boolean }) {
  const status = useLoad(() => (isAdmin ? desk.directory({}) : Promise.resolve(null)), [isAdmin]);
  const [text, setText] = useState('');
  const [bindPassword, setBindPassword] = useState('');
  const [tryUser, setTryUser] = useState('');
  const [tryPassword, setTryPassword] = useState('');
  const [tested, setTested] = useState<Tested | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!status.loading) setText(JSON.stringify(status.data?.config ?? EXAMPLE, null, 2));
  }, [status.data, status.loading]);

  if (!isAdmin) return <p className="muted">The directory that users log in with is set by an admin.</p>;
  const done = (msg: string) => {
    setError(null);
    setNotice(msg);
  };
  const save = () => {
    let config: DeskArgs<'directorySet'>['config'];
    try {
      config = JSON.parse(text) as typeof config;
    } catch (e) {
      return setError(`expected JSON, got text that does not parse: ${(e as Error).message}`);
    }
    desk.directorySet({ config, ...(bindPassword ? { bindPassword } : {}) }).then(() => {
      setBindPassword('');
      done('Saved. Users who are not local log in with their directory password from now on.');
      status.reload();
    }, (e: unknown) => setError(errorText(e)));
  };
  const test = () => {
    setTested(null);
    const login = tryUser ? { user: tryUser, password: tryPassword } : {};
    desk.directoryTest(login).then((r) => {
      setTested(r);
      const o = r.outcome;
      done(!o ? 'The directory answered and accepted the service account.' : o.kind === 'refused' ? `${tryUser} would be refused: ${o.reason}.` : `${tryUser} would log in as ${o.grant.roles.join(', ') || 'no role (refused)'}.`);
    }, (e: unknown) => setError(errorText(e)));
  };
  const remove = () => desk.directoryRemove({}).then(() => {
    done('Directory logins are off: only local users can log in.');
    status.reload();
  }, (e: unknown) => setError(errorText(e)));

  const configured = status.data?.config != null;
  return (
    <div className="card">
      <p className="muted">
        {configured ? 'Names that are not local users are checked by this directory; roles come from their groups at every login.' : 'No directory yet: users are local to this desk. Edit the example and save.'}
      </p>
      <label>
        Configuration
        <textarea className="code" rows={18} value={text} spellCheck={false} onChange={(e) => setText(e.target.value)} />
      </label>
      <label>
        Service account password {status.data?.bindPasswordSet ? '(in the vault; leave empty to keep it)' : ''}
        <input type="password" autoComplete="new-password" value={bindPassword} onChange={(e) => setBindPassword(e.target.value)} />
      </label>
      <div className="row">
        <button className="primary" onClick={save}>Save directory</button>
        {configured && <button className="danger" onClick={() => void remove()}>Turn off</button>}
      </div>
      {configured && (
        <fieldset>
          <legend>Test</legend>
          <div className="row">
            <input aria-label="User to try" placeholder="user (optional)" value={tryUser} onChange={(e) => setTryUser(e.target.value)} />
            <input aria-label="Their password" type="password" placeholder="password" value={tryPassword} onChange={(e) => setTryPassword(e.target.value)} />
            <button onClick={test}>Test</button>
          </div>
          {tested?.outcome?.kind === 'ok' && (
            <ul className="plain" aria-label="Groups">
              <li><code>{tested.outcome.dn}</code></li>
              {tested.outcome.groups.map((g) => <li key={g}>in <code>{g}</code></li>)}
            </ul>
          )}
        </fieldset>
      )}
      <Alert text={notice} kind="ok" />
      <Alert text={error ?? status.error} />
    </div>
  );
}
