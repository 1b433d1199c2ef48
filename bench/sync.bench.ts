// npm run bench:sync — the desk's push to its hub over loopback (issue 17):
//   1. a desk that was offline with N records (default 10,000) in its outbox: the hub comes back; the time until the
//      outbox is empty (records/s pushed, batches of 500, every signature verified and every record appended to the
//      hub's transparency log), then until every record's inclusion proof is back and checked on the desk;
//   2. steady state: the same desk signing on, each record pushed in its own request as the background worker does
//      right after a signature (records/s, one at a time).
// Records are made straight into the desk's database with its own org key (as the sign pipeline commits them, with
// their outbox rows, but without decoding photos), so N = 10,000 takes seconds. They carry no manifest store; a real
// record with one is ~20–60 KB more per record on the wire.
// Options: --records=10000 --single=300; --quick = --records=1000 --single=100
import { join } from 'node:path';
import { PassphraseProtector } from '../core/crypto/vault.ts';
import { Desk } from '../core/desk.ts';
import { outboxStats } from '../core/sync/outbox.ts';
import { initHub, startHub } from '../server/serve.ts';
import { tempDir } from '../test/helpers/cli.ts';
import { queueSignedRecords } from '../test/helpers/sync-records.ts';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string?]).map(([k, v]) => [k, v ?? '1']));
const quick = args.has('quick');
const N = Number(args.get('records') ?? (quick ? 1000 : 10_000));
const SINGLE = Number(args.get('single') ?? (quick ? 100 : 300));
const SCRYPT = { N: 1 << 10, r: 8, p: 1 };
const PASS = 'bench passphrase for the sync benchmark';

const hubDir = tempDir('custody-bench-sync-hub-');
const init = await initHub({ database: null, dataDir: hubDir }, { org: 'Bench News' });
const hub = await startHub({ database: null, dataDir: hubDir }, { rateLimits: { perKey: 1e9, perTenant: 1e9, perAddress: 1e9 }, passphrase: PASS, scrypt: SCRYPT, checkpointIntervalMs: 1000 });
const { desk } = await Desk.init(join(tempDir('custody-bench-sync-desk-'), 'desk'), { org: 'Bench News', protector: new PassphraseProtector(PASS, SCRYPT) });
const protector = new PassphraseProtector(PASS, SCRYPT);
const token = await (await fetch(`${hub.url}/v1/enrolment-tokens`, { method: 'POST', headers: { authorization: `Bearer ${init.adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ label: 'bench' }) })).json() as { token: string };
await desk.hub.connect({ name: 'bench', roles: ['admin'] }, { url: hub.url, token: token.token, name: 'bench desk' });

let t = performance.now();
await queueSignedRecords(desk, protector, N);
console.log(`queued ${N} records on the desk in ${((performance.now() - t) / 1000).toFixed(1)} s (outbox: ${outboxStats(desk.store).byKind.record.pending} pending)`);

// 1. Catch-up: the hub is reachable again.
t = performance.now();
const report = await desk.hub.worker({ batchSize: 500 }).pushOnce();
const pushS = (performance.now() - t) / 1000;
if (report.error || report.accepted !== N) throw new Error(`push did not complete: ${JSON.stringify(report)}`);
console.log(`catch-up push: ${N} records in ${pushS.toFixed(2)} s = ${Math.round(N / pushS)} records/s (${report.batches} requests)`);
const puller = desk.hub.puller();
for (;;) {
  const r = await puller.pull(1000);
  if (r.alarm || r.error) throw new Error(`proofs: ${r.alarm ?? r.error}`);
  if (desk.hub.status().proofs.held >= N) break;
  if (r.fetched === 0) await new Promise((d) => setTimeout(d, 200));
}
const proofS = (performance.now() - t) / 1000;
console.log(`catch-up with proofs: all ${N} inclusion proofs back and checked ${proofS.toFixed(2)} s after the hub was back (${Math.round(N / (proofS - pushS))} proofs/s after the push)`);

// 2. One record per request, as right after each signature.
await queueSignedRecords(desk, protector, SINGLE);
const w1 = desk.hub.worker({ batchSize: 1 });
t = performance.now();
const r1 = await w1.pushOnce();
const singleS = (performance.now() - t) / 1000;
if (r1.accepted !== SINGLE) throw new Error(`single push did not complete: ${JSON.stringify(r1)}`);
console.log(`one record per request: ${SINGLE} records in ${singleS.toFixed(2)} s = ${Math.round(SINGLE / singleS)} records/s, ${((singleS / SINGLE) * 1000).toFixed(1)} ms each`);

desk.close();
await hub.close();
