// Settings: the organisation, keys and certificates, users, the directory (LDAP/AD), workflow templates, the
// organisation's hub and appearance, one tab each.
import { Appearance } from './settings/Appearance.tsx';
import { Certificates } from './settings/Certificates.tsx';
import { Directory } from './settings/Directory.tsx';
import { Hub } from './settings/Hub.tsx';
import { Organisation } from './settings/Organisation.tsx';
import { Templates } from './settings/Templates.tsx';
import { Users } from './settings/Users.tsx';
import { go } from '../hooks.ts';

const TABS = [
  ['org', 'Organisation'],
  ['keys', 'Keys & certificates'],
  ['users', 'Users'],
  ['directory', 'Directory'],
  ['templates', 'Workflow templates'],
  ['hub', 'Hub'],
  ['appearance', 'Appearance'],
] as const;
type Tab = (typeof TABS)[number][0];

export function Settings({ tab, isAdmin, me, onUsersChanged }: { tab: string | null; isAdmin: boolean; me: string | null; onUsersChanged: () => void }) {
  const current: Tab = TABS.some(([t]) => t === tab) ? (tab as Tab) : 'org';
  return (
    <section aria-labelledby="settings-h" className="screen">
      <h1 id="settings-h" tabIndex={-1}>Settings</h1>
      <nav className="tabs" aria-label="Settings sections">
        {TABS.map(([t, label]) => (
          <button key={t} aria-current={t === current ? 'page' : undefined} onClick={() => go('settings', t)}>{label}</button>
        ))}
      </nav>
      {!isAdmin && current !== 'appearance' && <p className="note info">You can look; changes here need an admin.</p>}
      {current === 'org' && <Organisation isAdmin={isAdmin} />}
      {current === 'keys' && <Certificates isAdmin={isAdmin} />}
      {current === 'users' && <Users isAdmin={isAdmin} me={me} onChanged={onUsersChanged} />}
      {current === 'directory' && <Directory isAdmin={isAdmin} />}
      {current === 'templates' && <Templates isAdmin={isAdmin} />}
      {current === 'hub' && <Hub isAdmin={isAdmin} />}
      {current === 'appearance' && <Appearance />}
    </section>
  );
}
