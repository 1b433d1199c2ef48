// The app's shell: who is acting (login when the desk has users), the navigation, and the screen of the route.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { UNAUTHENTICATED_EVENT, desk } from './api.ts';
import { Alert } from './components/Alert.tsx';
import { ThemeMenu } from './components/ThemeMenu.tsx';
import { go, useLoad, useRoute } from './hooks.ts';
import { Approvals } from './screens/Approvals.tsx';
import { Audit } from './screens/Audit.tsx';
import { Library } from './screens/Library.tsx';
import { Login } from './screens/Login.tsx';
import { PublicRecord } from './screens/PublicRecord.tsx';
import { Settings } from './screens/Settings.tsx';
import { Sign } from './screens/Sign.tsx';
import { Unlock } from './screens/Unlock.tsx';
import { Verify } from './screens/Verify.tsx';
import { WatchFolders } from './screens/WatchFolders.tsx';

const SCREENS = [
  ['sign', 'Sign'],
  ['library', 'Library'],
  ['verify', 'Verify'],
  ['approvals', 'Approvals'],
  ['audit', 'Audit'],
  ['watch', 'Watch folders'],
  ['settings', 'Settings'],
] as const;
/** Screens outside the navigation: a record as a verifier sees it, the link a verdict gives. */
type Screen = (typeof SCREENS)[number][0] | 'records';
/** What a visitor without an account may open on a desk with users: verification and the record it names. */
const PUBLIC_SCREENS: readonly Screen[] = ['verify', 'records'];

export function App() {
  const route = useRoute();
  const [tick, setTick] = useState(0);
  const refresh = () => setTick((t) => t + 1);
  const info = useLoad(() => desk.info({}), [tick]);
  const who = useLoad(() => desk.whoami({}), [tick]);
  const user = who.data?.user ?? null;
  const queue = useLoad(() => (user ? desk.queue({ scope: 'mine' }) : Promise.resolve([])), [user?.name, tick], { pollMs: 30_000 });
  const screen: Screen = route[0] === 'records' && route[1] ? 'records' : SCREENS.some(([s]) => s === route[0]) ? (route[0] as Screen) : 'sign';

  useEffect(() => {
    window.addEventListener(UNAUTHENTICATED_EVENT, refresh);
    const keys = (e: KeyboardEvent) => {
      const n = Number(e.key);
      if (e.altKey && !e.ctrlKey && !e.metaKey && n >= 1 && n <= SCREENS.length) {
        e.preventDefault();
        go(SCREENS[n - 1]![0]);
      }
    };
    window.addEventListener('keydown', keys);
    return () => {
      window.removeEventListener(UNAUTHENTICATED_EVENT, refresh);
      window.removeEventListener('keydown', keys);
    };
  }, []);

  if (info.error) return <NoDesk message={info.error} />;
  if (!info.data || !who.data) return <main className="loading" id="main" aria-busy="true">Opening the desk…</main>;
  const i = info.data;
  const needsLogin = i.users && !user;
  // A visitor without an account may verify and follow a verdict's record link; everything else asks who they are.
  if (needsLogin && !PUBLIC_SCREENS.includes(screen)) return <Login org={i.org} directory={i.directory} unlocked={i.unlocked} onLogin={refresh} />;

  const roles = user?.roles ?? [];
  // The screens a person is offered follow the authorization policy (whoami's may): signing for those who may sign;
  // Settings for those who run the desk (who may sign, or change settings); a viewer reads the library and the log.
  const may = (u: string) => who.data?.may.includes(u) ?? false;
  const offered = (s: Screen): boolean => (s === 'sign' ? may('sign') : s === 'settings' ? may('sign') || may('settingsSet') : true);
  const isAdmin = roles.includes('admin');
  const waiting = queue.data?.length ?? 0;
  const logout = () => void desk.logout({}).finally(() => {
    go('sign');
    refresh();
  });

  let body: ReactNode;
  // An address to a screen not offered (an old bookmark) lands on the Library, which every user reads.
  switch (offered(screen) ? screen : 'library') {
    case 'sign':
      body = <Sign nativeDialogs={i.host.nativeDialogs} onSigned={refresh} />;
      break;
    case 'library':
      body = <Library selected={route[1] ?? null} />;
      break;
    case 'verify':
      body = <Verify nativeDialogs={i.host.nativeDialogs} host={i.host.kind} />;
      break;
    case 'records':
      body = <PublicRecord id={route[1]!} member={!needsLogin} />;
      break;
    case 'approvals':
      body = <Approvals selected={route[1] ?? null} singleUser={who.data.mode === 'single-user'} onChanged={queue.reload} />;
      break;
    case 'audit':
      body = <Audit />;
      break;
    case 'watch':
      body = <WatchFolders nativeDialogs={i.host.nativeDialogs} canManage={roles.includes('admin') || roles.includes('editor')} />;
      break;
    case 'settings':
      body = <Settings tab={route[1] ?? null} isAdmin={isAdmin} me={who.data.mode === 'users' ? (user?.name ?? null) : null} onUsersChanged={refresh} />;
      break;
  }

  return (
    <div className="shell">
      <a className="skip" href="#main">Skip to content</a>
      <header className="top">
        <strong className="brand">
          <svg viewBox="0 0 32 32" width="18" height="18" aria-hidden="true">
            <path d="M16 2 L28 7 V15 C28 23 22.5 28.5 16 30 C9.5 28.5 4 23 4 15 V7 Z" fill="currentColor" />
            <path d="M10 16 L14.5 20.5 L22.5 11.5" stroke="var(--panel)" strokeWidth="3.2" fill="none" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
          Custody
        </strong>
        <span className="org" data-testid="org">{i.org}</span>
        <span className={`keys ${i.unlocked ? 'open' : 'locked'}`}>{i.unlocked ? 'Keys unlocked' : 'Keys locked'}</span>
        <span className="spacer" />
        <ThemeMenu />
        {user && who.data.mode === 'users' ? (
          <>
            <span className="user" data-testid="user">{user.name} <small>({user.roles.join(', ')})</small></span>
            <button className="ghost" onClick={logout}>Log out</button>
          </>
        ) : needsLogin ? (
          <a href="#/sign">Log in</a>
        ) : (
          <span className="user muted">Single-user desk</span>
        )}
      </header>
      {!needsLogin && (
        <nav className="side" aria-label="Screens">
          <ul>
            {SCREENS.map(([s, label], n) => offered(s) && (
              <li key={s}>
                <a href={`#/${s}`} aria-current={s === screen ? 'page' : undefined} title={`${label} (Alt+${n + 1})`}>
                  {label}
                  {s === 'approvals' && waiting > 0 && <span className="count" aria-label={`${waiting} waiting`}>{waiting}</span>}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <main id="main" className={needsLogin ? 'wide' : ''}>
        {!i.unlocked && !needsLogin && <Unlock onDone={refresh} />}
        <Alert text={who.error} />
        <FocusOnChange screen={screen}>{body}</FocusOnChange>
      </main>
    </div>
  );
}

/** Moves focus to the new screen's heading when the screen changes, for keyboard and screen-reader users. */
function FocusOnChange({ screen, children }: { screen: string; children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    box.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [screen]);
  return <div ref={box}>{children}</div>;
}

function NoDesk({ message }: { message: string }) {
  return (
    <main className="login" id="main">
      <div className="card">
        <h1>Custody</h1>
        <p>The desk cannot be opened.</p>
        <Alert text={message} />
        <p className="muted">
          To create a desk, run <code>custody init --org "Your Newsroom" --admin yourname</code> in a terminal, then start Custody again.
        </p>
      </div>
    </main>
  );
}
