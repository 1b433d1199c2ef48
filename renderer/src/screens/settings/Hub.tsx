// Settings → Hub: what `custody hub status` shows (the link, the outbox by kind, the oldest unsent row, rows the hub
// refused with its reasons, proofs and the newest checkpoint, the last chain check, alarms and the standing ones of
// chain references the chain refuted), refreshed every few seconds, and for an admin the connection itself (the
// hub's address and a one-time enrolment token), as `custody hub connect` does.
import { useState, type FormEvent } from 'react';
import type { DeskResult } from '../../../../core/api/desk-api.ts';
import { desk, errorText } from '../../api.ts';
import { Alert } from '../../components/Alert.tsx';
import { dateTime } from '../../format.ts';
import { useLoad } from '../../hooks.ts';

type Status = DeskResult<'hubStatus'>;
const KINDS: Record<keyof Status['outbox']['byKind'], string> = { record: 'Signed records', publication: 'Publications', audit_head: 'Audit-log heads' };
const when = (iso: string | null | undefined): string => (iso ? dateTime(iso) : 'never');

function Connect({ onDone, again }: { onDone: () => void; again: boolean }) {
  const [url, setUrl] = useState('');
  const [token, setToken] = useState('');
  const [name, setName] = useState('');
  const [hubKey, setHubKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    desk.hubConnect({ url: url.trim(), token: token.trim(), ...(name.trim() ? { name: name.trim() } : {}), ...(hubKey.trim() ? { hubKey: hubKey.trim() } : {}) }).then(
      () => {
        setToken('');
        setBusy(false);
        onDone();
      },
      (err: unknown) => {
        setError(errorText(err));
        setBusy(false);
      },
    );
  };
  return (
    <form className="hub-connect" onSubmit={submit} aria-label="Connect to a hub">
      <h3>{again ? 'Connect to another hub' : 'Connect to the organisation’s hub'}</h3>
      <p className="muted">The hub admin gives you its address and a one-time enrolment token. The desk registers its signing keys and C2PA root there; the API key it receives is sealed in the vault.</p>
      <label>
        Hub address
        <input type="url" required placeholder="https://hub.example.org" value={url} onChange={(e) => setUrl(e.target.value)} />
      </label>
      <label>
        Enrolment token
        <input type="password" required autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} />
      </label>
      <label>
        Desk name on the hub (optional)
        <input value={name} placeholder="this computer's name" onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        Hub key from the hub admin (recommended)
        <input value={hubKey} autoComplete="off" spellCheck={false} placeholder="custody-hub+1a2b3c4d+A…" onChange={(e) => setHubKey(e.target.value)} />
      </label>
      <p className="muted">With the key (what <code>custody hub key</code> prints on the hub), the desk connects only to a hub that signs with it. Without it, the desk keeps the key the hub shows now: compare it with the admin’s.</p>
      <button type="submit" disabled={busy}>{busy ? 'Connecting…' : 'Connect'}</button>
      <Alert text={error} />
    </form>
  );
}

export function Hub({ isAdmin }: { isAdmin: boolean }) {
  const status = useLoad(() => desk.hubStatus({}), [], { pollMs: 5_000 });
  const s = status.data;
  if (!s) return <Alert text={status.error} />;
  const link = s.link;
  const o = s.outbox.oldestPending;
  const standing = s.refuted.filter((r) => r.supersededAt === null);
  const check = s.proofs.lastChainCheck;
  return (
    <div className="card" data-testid="hub-panel">
      <h3>Connection</h3>
      {link ? (
        <dl className="facts" data-testid="hub-link">
          <dt>Hub</dt><dd><code>{link.url}</code></dd>
          <dt>This desk</dt><dd>{link.deskName} <small className="muted">({link.deskId})</small> of {link.org}</dd>
          <dt>Connected</dt><dd>{dateTime(link.connectedAt)}</dd>
          <dt>Last contact</dt><dd data-testid="hub-contact">{when(link.lastContactAt)}</dd>
          <dt>Checkpoint key</dt><dd data-testid="hub-log-key">{s.proofs.logKey ? <code>{s.proofs.logKey}</code> : 'none yet (the hub served none)'}</dd>
          {link.lastError && <><dt>Last error</dt><dd className="bad-text">{when(link.lastErrorAt)}: {link.lastError}</dd></>}
        </dl>
      ) : (
        <p data-testid="hub-link">Not connected: this desk signs and verifies on its own, and its records are in no public log.</p>
      )}
      {(s.alarms.length > 0 || standing.length > 0) && (
        <div className="note error" role="alert" data-testid="hub-alarms">
          {standing.map((r) => (
            <p key={`${r.recordId ?? r.seq}-${r.chain.tx}-${r.chain.block}`} data-testid="hub-standing-alarm">
              <strong>Standing since {dateTime(r.refutedAt)}</strong> {r.recordId !== null ? `record ${r.recordId}` : `audit head ${r.seq}`}: the hub keeps serving a chain reference the chain refuted (transaction <code>{r.chain.tx}</code>, block {r.chain.block}, {r.code}); served again {r.servedAgain} time(s), not kept
            </p>
          ))}
          {s.alarms.map((a) => <p key={`${a.at}-${a.code}`}><strong>{dateTime(a.at)}</strong> {a.message}</p>)}
        </div>
      )}
      <h3>Outbox</h3>
      <p data-testid="hub-outbox">{s.outbox.pending} waiting, {s.outbox.delivered} delivered, {s.outbox.parked} refused by the hub</p>
      <table>
        <thead><tr><th>Kind</th><th>Waiting</th><th>Delivered</th><th>Refused</th></tr></thead>
        <tbody>
          {(Object.keys(KINDS) as (keyof typeof KINDS)[]).map((k) => (
            <tr key={k} data-testid={`hub-kind-${k}`}>
              <td>{KINDS[k]}{s.held.includes(k) && <small className="muted"> (this hub does not take them yet)</small>}</td>
              <td>{s.outbox.byKind[k].pending}</td><td>{s.outbox.byKind[k].delivered}</td><td>{s.outbox.byKind[k].parked}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {o && <p data-testid="hub-oldest">Oldest unsent: {o.kind} <code>{o.ref}</code>, queued {dateTime(o.createdAt)}, {o.attempts} attempt(s){o.lastError ? `; last error: ${o.lastError}` : ''}</p>}
      {s.parked.length > 0 && (
        <>
          <h4>Refused by the hub</h4>
          <ul className="recent" data-testid="hub-parked">
            {s.parked.map((p) => <li key={p.seq}>#{p.seq} {p.kind} <code>{p.ref}</code>: {p.code}: {p.reason}</li>)}
          </ul>
        </>
      )}
      <h3>Proofs</h3>
      <p data-testid="hub-proofs">
        {s.proofs.held} held ({s.proofs.anchored} on chain), last received {when(s.proofs.lastReceivedAt)}; newest checkpoint{' '}
        {s.proofs.checkpoint ? `of ${s.proofs.checkpoint.size} entries, received ${dateTime(s.proofs.checkpoint.receivedAt)}` : 'none yet'}
      </p>
      {check && (
        <p data-testid="hub-chain-check" className={check.outcome === 'ok' || check.outcome === 'idle' ? undefined : 'bad-text'}>
          Last chain check {dateTime(check.at)} with <code>{check.rpc}</code>: {check.outcome === 'ok' ? 'ok' : check.outcome === 'idle' ? 'nothing to check, the node was not asked' : check.outcome === 'unreachable' ? `the node did not answer (${check.error})` : `failed (${check.error})`}; {check.checked} checked, {check.confirmed} confirmed, {check.refuted} refuted, {check.left} left unchecked
        </p>
      )}
      {isAdmin ? <Connect onDone={status.reload} again={link !== null} /> : !link && <p className="muted">An admin connects the desk to the hub.</p>}
    </div>
  );
}
