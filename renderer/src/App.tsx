import { useEffect, useState } from 'react';

interface DeskInfo {
  initialized: boolean;
  home: string;
  org: string | null;
}

declare global {
  interface Window {
    custody?: { info(): Promise<DeskInfo> };
  }
}

export function App() {
  const [info, setInfo] = useState<DeskInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!window.custody) {
      setError('This page runs inside the Custody desktop app.');
      return;
    }
    window.custody.info().then(setInfo, (e: unknown) => setError(String(e)));
  }, []);
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', padding: 24 }}>
      <h1>Custody</h1>
      {error && <p role="alert">{error}</p>}
      {info && !info.initialized && (
        <p>
          No desk at <code>{info.home}</code> yet. Create one with <code>npx custody init --org NAME</code>.
        </p>
      )}
      {info?.initialized && (
        <p>
          Desk of <strong>{info.org}</strong> at <code>{info.home}</code>.
        </p>
      )}
    </main>
  );
}
