// `custody sync`, `custody hub connect`, `custody hub check-chain` and `custody hub status`: the desk's side of the organisation's hub
// (core/sync). Pushing and connecting need the vault (the hub API key is sealed in it); the status does not.
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.ts';
import type { HubStatus } from '../../core/sync/hub-sync.ts';
import type { PushReport } from '../../core/sync/worker.ts';
import { err, json, out, withDesk } from '../context.ts';
import { actingFor } from './auth.ts';

const int = (v: string): number => Number.parseInt(v, 10);

export function printStatus(s: HubStatus): void {
  if (!s.link) out('hub: not connected (custody hub connect URL --enrolment-token T)');
  else {
    out(`hub: ${s.link.url}, desk ${s.link.deskName} (${s.link.deskId}) of ${s.link.org}, connected ${s.link.connectedAt}`);
    out(`  last contact ${s.link.lastContactAt ?? 'never'}${s.link.lastError ? `; last error ${s.link.lastErrorAt}: ${s.link.lastError}` : ''}`);
  }
  out(`outbox: ${s.outbox.pending} pending, ${s.outbox.delivered} delivered, ${s.outbox.parked} parked`);
  const o = s.outbox.oldestPending;
  if (o) out(`  oldest unsent: ${o.kind} ${o.ref}, queued ${o.createdAt}, ${o.attempts} attempt(s)${o.lastError ? `, last error: ${o.lastError}` : ''}`);
  for (const k of s.held) out(`  ${s.outbox.byKind[k as keyof HubStatus['outbox']['byKind']].pending} ${k.replace('_', ' ')} row(s) wait: this hub does not take them yet`);
  for (const p of s.parked) out(`  parked #${p.seq} ${p.kind} ${p.ref}: ${p.code}: ${p.reason}`);
  out(`proofs: ${s.proofs.held} held (${s.proofs.anchored} on chain, ${s.proofs.confirmed} of those confirmed by this desk), last received ${s.proofs.lastReceivedAt ?? 'never'}; checkpoint ${s.proofs.checkpoint ? `size ${s.proofs.checkpoint.size} at ${s.proofs.checkpoint.receivedAt}` : 'none yet'}`);
  out(s.proofs.chainCheck ? `  chain references checked by the sync with ${s.proofs.chainCheck.rpc}, registry ${s.proofs.chainCheck.contract}` : '  chain references are the hub\'s word until `custody hub check-chain` (--remember to check each new one)');
  const c = s.proofs.lastChainCheck;
  if (c) {
    const outcome = c.outcome === 'ok' ? 'ok' : c.outcome === 'idle' ? 'nothing to check, the node was not asked' : c.outcome === 'unreachable' ? `the node did not answer (${c.error})` : `failed (${c.error})`;
    out(`  last chain check ${c.at} by ${c.by === 'sync' ? 'the sync' : c.by} with ${c.rpc}: ${outcome}; ${c.checked} checked, ${c.confirmed} confirmed, ${c.refuted} refuted, ${c.left} left unchecked`);
  }
  for (const a of s.alarms) out(`ALARM ${a.at}: ${a.message}`);
  for (const r of s.refuted) {
    const what = r.recordId !== null ? `record ${r.recordId}` : `audit head ${r.seq}`;
    const ref = `(chain ${r.chain.chainId}, transaction ${r.chain.tx}, block ${r.chain.block})`;
    if (r.supersededAt === null) out(`STANDING ALARM since ${r.refutedAt}: ${what}: the hub keeps serving chain reference ${ref}, which the chain refuted (${r.code}); served again ${r.servedAgain} time(s)${r.lastServedAt ? `, last at ${r.lastServedAt}` : ''}, not kept`);
    else out(`  superseded alarm: ${what}: chain reference ${ref} refuted at ${r.refutedAt}; a reference confirmed on the chain at ${r.supersededAt} superseded it`);
  }
}

const line = (r: PushReport): string =>
  `pushed ${r.accepted} new, ${r.replayed} already on the hub, ${r.parked} parked, ${r.publications} publication(s), ${r.heads} audit head(s); ${r.remaining} pending${r.error ? `; stopped: ${r.error}` : ''}`;

export function register(program: Command): void {
  program
    .command('sync')
    .description("push this desk's outbox to the organisation's hub until Ctrl-C (or once with --once); needs the vault passphrase")
    .option('--once', 'push what is queued now, then exit (exit 1 when rows are left)')
    .option('--retry-parked', 'first put the rows the hub refused back in the queue (admins)')
    .option('--batch <n>', 'records per request (default 500)', int)
    .option('--json', 'print the push reports as JSON lines')
    .action(async (o: { once?: boolean; retryParked?: boolean; batch?: number; json?: boolean }) => {
      await withDesk(async (desk) => {
        if (o.retryParked) err(`${desk.hub.retryParked((await actingFor(desk, 'hubRetryParked'))!)} parked row(s) back in the queue`);
        const opts = o.batch ? { batchSize: o.batch } : {};
        const report = (r: PushReport) => (o.json ? out(JSON.stringify(r)) : err(line(r)));
        if (o.once) {
          const r = await desk.hub.worker(opts).pushOnce();
          report(r);
          if (!r.error) {
            const p = await desk.hub.puller().pull();
            const c = p.alarm ? null : await desk.hub.checkChainRemembered();
            if (o.json) out(JSON.stringify({ proofs: p, ...(c ? { chain: c } : {}) }));
            else if (!p.unsupported) err(`proofs: ${p.fetched} received (${p.anchored} on chain), ${p.notReady} not ready yet; ${p.heads} audit head proof(s)${p.error ? `; stopped: ${p.error}` : ''}`);
            if (c && !o.json) err(`chain references: ${c.confirmed} record and ${c.headsConfirmed} audit head reference(s) confirmed on the chain, ${c.refuted.length} not borne out${c.error ? `; stopped: ${c.error}` : ''}`);
            for (const x of c?.refuted ?? []) err(`ALARM${x.standing ? ' (standing)' : ''}: ${x.message}`);
            // the hub served a chain reference the chain refuted before: not kept, no new alarm, but not a clean run
            if (p.refutedAgain > 0) err(`ALARM (standing): ${p.refutedAgain} proof(s) came back with a chain reference the chain refuted before, not kept (custody hub status)`);
            if ((c && c.refuted.length > 0) || p.refutedAgain > 0) {
              process.exitCode = 3;
              return;
            }
            if (p.alarm) {
              err(`ALARM: ${p.alarm}`);
              process.exitCode = 3;
              return;
            }
          }
          process.exitCode = r.remaining > 0 ? 1 : 0;
          return;
        }
        const bg = desk.hub.start(report, opts);
        if (!bg) throw new CustodyError('NOT_FOUND', 'expected this desk to be connected to a hub, but it is not: run `custody hub connect URL --enrolment-token T`');
        err(`syncing with ${desk.hub.link!.url}; Ctrl-C to stop`);
        await new Promise<void>((resolve) => {
          const stop = () => void bg.stop().then(resolve);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      }, { unlock: true });
    });
}

/** `custody hub connect` and `custody hub status`, registered under `custody hub` by hub.ts. */
export function registerHubLink(hub: Command): void {
  hub
    .command('connect')
    .description("enrol this desk with the organisation's hub (its org signing keys and C2PA root) with a one-time token from the hub admin")
    .argument('<url>', "the hub's URL")
    .requiredOption('--enrolment-token <token>', 'the one-time enrolment token')
    .option('--name <name>', 'how the desk is named on the hub (default: the host name)')
    .option('--hub-key <key>', "the hub's checkpoint verifier key from its admin (`custody hub key`): enrol only if the hub serves this key")
    .option('--insecure-http', 'accept a plain-http URL to another machine (the token, the API key and the answers travel unprotected)')
    .option('--json', 'print the link as JSON')
    .action(async (url: string, o: { enrolmentToken: string; name?: string; hubKey?: string; insecureHttp?: boolean; json?: boolean }) => {
      const { hostname } = await import('node:os');
      const req = { url, token: o.enrolmentToken, name: o.name ?? hostname(), plainHttp: o.insecureHttp === true, ...(o.hubKey !== undefined ? { hubKey: o.hubKey } : {}) };
      const [link, logKey] = await withDesk(async (desk) => [await desk.hub.connect((await actingFor(desk, 'hubConnect'))!, req), desk.hub.status().proofs.logKey] as const, { unlock: true });
      if (o.json) return json({ ...link, logKey });
      out(`connected to ${link.url} as desk ${link.deskName} (${link.deskId}) of ${link.org}`);
      if (logKey) out(`checkpoints must be signed by ${logKey} (${o.hubKey ? 'the key given, which the hub serves' : 'the key the hub served now: compare it with `custody hub key` on the hub'})`);
      out('the API key is sealed in the vault; `custody sync` (or `custody watch`, or the desktop app) pushes the outbox');
    });

  hub
    .command('proof')
    .description("print (or write to --out) the proof file the desk holds for a record, for `custody proof verify`")
    .argument('<record>', 'the record id')
    .option('--out <file>', 'write the file here instead of printing it')
    .action(async (recordId: string, o: { out?: string }) => {
      const [{ proofOf }, { writeFileSync }] = await Promise.all([import('../../core/sync/proofs.ts'), import('node:fs')]);
      const p = await withDesk((desk) => proofOf(desk.store, recordId));
      if (!p) throw new CustodyError('NOT_FOUND', `expected a proof from the hub for record ${recordId}, but the desk holds none yet (custody hub status; custody sync --once)`);
      const text = `${JSON.stringify(JSON.parse(p.file), null, 2)}\n`;
      if (o.out) writeFileSync(o.out, text);
      else process.stdout.write(text);
    });

  hub
    .command('check-chain-forget')
    .description('stop the background sync from checking chain references (forget the node and registry `check-chain --remember` kept)')
    .action(async () => {
      await withDesk(async (desk) => desk.hub.rememberChainCheck((await actingFor(desk, 'hubCheckChain'))!, null));
      out('chain references are left as the hub reports them until `custody hub check-chain` is run');
    });

  hub
    .command('check-chain')
    .description("confirm on the chain the chain references the hub gave with the desk's proofs (read-only); a reference the chain does not bear out is an alarm and is dropped")
    .requiredOption('--rpc <url>', "the chain's JSON-RPC endpoint (your organisation's node or provider)")
    .requiredOption('--contract <address>', 'the registry your organisation published (the address `custody hub chain deploy` printed)')
    .option('--all', 'check references confirmed before too')
    .option('--remember', 'also keep this node and registry: the background sync (`custody sync`, `custody watch`, the app) then checks each new reference')
    .option('--json', 'print the report as JSON')
    .action(async (o: { rpc: string; contract: string; all?: boolean; remember?: boolean; json?: boolean }) => {
      const r = await withDesk(async (desk) => {
        const actor = (await actingFor(desk, 'hubCheckChain'))!;
        const report = await desk.hub.checkChain(actor, { rpc: o.rpc, contract: o.contract, all: o.all === true });
        if (o.remember) desk.hub.rememberChainCheck(actor, { rpc: o.rpc, contract: o.contract });
        return report;
      });
      if (o.remember && !o.json) err(`the background sync now checks new chain references with ${o.rpc} and registry ${o.contract} (\`custody hub check-chain-forget\` stops it)`);
      if (o.json) json(r);
      else {
        out(`${r.confirmed} record and ${r.headsConfirmed} audit head chain reference(s) confirmed on the chain, ${r.refuted.length} not borne out`);
        for (const x of r.refuted) out(`  ${x.standing ? 'standing alarm' : 'alarm'}: ${x.message}`);
        if (r.error) err(`stopped: ${r.error}`);
      }
      if (r.refuted.length > 0) throw new CustodyError('INTEGRITY_FAILED', `expected every chain reference the hub gave to be on the chain, got ${r.refuted.length} that are not (dropped; see \`custody hub status\`)`);
      if (r.error) throw new CustodyError('CHAIN_UNREACHABLE', r.error);
    });

  hub
    .command('status')
    .description('the hub link, the outbox (pending, oldest unsent, parked rows with the reason), the last proof received')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const s = await withDesk((desk) => desk.hub.status());
      if (o.json) json(s);
      else printStatus(s);
    });
}
