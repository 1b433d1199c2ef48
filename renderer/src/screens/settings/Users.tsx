// Users and their roles: add, change roles, disable. The first user of a desk must be an admin.
import { useState, type FormEvent } from 'react';
import type { DeskResult } from '../../../../core/api/desk-api.ts';
import { desk, errorText } from '../../api.ts';
import { Alert } from '../../components/Alert.tsx';
import { dateTime } from '../../format.ts';
import { useLoad } from '../../hooks.ts';

type Role = DeskResult<'users'>[number]['roles'][number];
const ROLES: { role: Role; what: string }[] = [
  { role: 'admin', what: 'users, keys, settings' },
  { role: 'editor', what: 'signs, submits, publishes' },
  { role: 'chief', what: 'approves as desk chief' },
  { role: 'legal', what: 'approves legal review' },
  { role: 'viewer', what: 'reads' },
];

function RolePicker({ value, onChange, name }: { value: Role[]; onChange: (r: Role[]) => void; name: string }) {
  return (
    <fieldset className="roles">
      <legend>Roles for {name || 'the new user'}</legend>
      {ROLES.map(({ role, what }) => (
        <label key={role} className="check" title={what}>
          <input type="checkbox" checked={value.includes(role)} onChange={() => onChange(value.includes(role) ? value.filter((r) => r !== role) : [...value, role])} />
          {role}
        </label>
      ))}
    </fieldset>
  );
}

export function Users({ isAdmin, me, onChanged }: { isAdmin: boolean; me: string | null; onChanged: () => void }) {
  const users = useLoad(() => desk.users({}), []);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [roles, setRoles] = useState<Role[]>(['editor']);
  const [editing, setEditing] = useState<{ name: string; roles: Role[] } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const first = users.data?.length === 0;

  const run = (p: Promise<unknown>, text: string) =>
    p.then(() => {
      setError(null);
      setNotice(text);
      users.reload();
      onChanged();
    }, (e: unknown) => {
      setNotice(null);
      setError(errorText(e));
    });

  const add = (e: FormEvent) => {
    e.preventDefault();
    void run(desk.userAdd({ name, password, roles: first && !roles.includes('admin') ? [...roles, 'admin'] : roles }), `Added ${name}.`).then(() => {
      setName('');
      setPassword('');
    });
  };

  return (
    <div>
      {first && <p className="note info">This desk has no users: it works as a single-user desk. The first user you add must be an admin; from then on everyone logs in.</p>}
      <Alert text={notice} kind="ok" />
      <Alert text={error ?? users.error} />
      {users.data && users.data.length > 0 && (
        <table>
          <thead><tr><th scope="col">User</th><th scope="col">Roles</th><th scope="col">Status</th><th scope="col">Created</th>{isAdmin && <th scope="col">Change</th>}</tr></thead>
          <tbody>
            {users.data.map((u) => (
              <tr key={u.name} data-testid="user-row">
                <td>{u.name}{u.name === me ? ' (you)' : ''}</td>
                <td>{u.roles.join(', ')}</td>
                <td>{u.disabledAt ? `disabled ${dateTime(u.disabledAt)}` : 'active'}</td>
                <td>{dateTime(u.createdAt)} by {u.createdBy}</td>
                {isAdmin && (
                  <td>
                    <div className="buttons tight">
                      {!u.disabledAt && <button onClick={() => setEditing({ name: u.name, roles: u.roles })}>Roles…</button>}
                      {!u.disabledAt && u.name !== me && <button className="danger" onClick={() => void run(desk.userDisable({ name: u.name }), `Disabled ${u.name}.`)}>Disable</button>}
                    </div>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && (
        <form className="card" onSubmit={(e) => { e.preventDefault(); void run(desk.userSetRoles(editing), `${editing.name}: ${editing.roles.join(', ')}`).then(() => setEditing(null)); }}>
          <RolePicker name={editing.name} value={editing.roles} onChange={(r) => setEditing({ ...editing, roles: r })} />
          <button type="submit" className="primary">Save roles</button> <button type="button" onClick={() => setEditing(null)}>Cancel</button>
        </form>
      )}
      {(isAdmin || first) && (
        <form className="card" onSubmit={add} aria-label="Add a user">
          <h3>Add a user</h3>
          <div className="row">
            <label>Name<input value={name} required pattern="[a-z][a-z0-9._\-]{0,63}" title="lowercase letters, digits, . _ -" onChange={(e) => setName(e.target.value)} autoComplete="off" /></label>
            <label>Password<input type="password" value={password} required minLength={12} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" /></label>
          </div>
          <RolePicker name={name} value={roles} onChange={setRoles} />
          <button type="submit" className="primary">Add user</button>
        </form>
      )}
    </div>
  );
}
