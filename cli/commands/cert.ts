// `custody cert …`, `custody settings …` and `custody timestamps …`: the org's Content Credentials certificates, the
// trust list, the hybrid post-quantum switch, the allowed roots, the time-stamp authority and its pending stamps,
// through the DeskApi (admins change them; any user reads them).
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CustodyError } from '../../core/errors.ts';
import { withApi } from '../api.ts';
import { json, out } from '../context.ts';

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new CustodyError('NOT_FOUND', `expected ${what} at ${path}, but it cannot be read`);
  }
}

export function register(program: Command): void {
  const cert = program.command('cert').description('Content Credentials (C2PA) certificates of this desk');
  cert
    .command('export')
    .description("print the org root certificate as PEM, followed in hybrid mode by the org's ML-DSA-65 public key: what verifiers add as a trust anchor")
    .option('--root', 'the org root (the default and only choice today)')
    // one line at a time: out() escapes a newline inside what it prints
    .action(async () => {
      const { orgRootPem } = await withApi('certificates', (api) => api.certificates({}));
      if (!orgRootPem) throw new CustodyError('NOT_FOUND', 'expected the org root certificate on this desk, got an imported chain without its root');
      for (const line of orgRootPem.trimEnd().split('\n')) out(line);
    });
  cert
    .command('import')
    .description('install a CA-issued signing chain (PEM, signing certificate first) and its private key (PKCS#8 PEM)')
    .requiredOption('--chain <file>', 'PEM chain')
    .requiredOption('--key <file>', 'PEM private key')
    .option('--json', 'print as JSON')
    .action(async (o: { chain: string; key: string; json?: boolean }) => {
      const chain = readText(o.chain, 'a PEM certificate chain');
      const key = readText(o.key, 'a PEM private key');
      const r = await withApi('certificateImport', (api) => api.certificateImport({ chainPem: chain, keyPem: key }), { keys: true });
      if (o.json) json(r);
      else out(`Content Credentials will be signed by ${r.subject} (issued by ${r.issuer})`);
    });
  cert
    .command('trust')
    .description("trust another root (PEM file) when verifying Content Credentials, and the ML-DSA-65 key exported with it as that org's")
    .argument('<file>')
    .action(async (file: string) => {
      const pem = readText(file, 'PEM certificates');
      const { added, already } = await withApi('trustAdd', (api) => api.trustAdd({ pem }));
      if (added === 0 && already > 0) out(`already trusted: ${already} certificate(s); nothing changed`);
      else out(`trusted ${added} more certificate(s)${already ? ` (${already} already trusted)` : ''}`);
    });

  const settings = program.command('settings').description('desk settings');
  settings
    .command('get')
    .alias('show')
    .description('print the settings')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const s = await withApi('settings', async (api) => {
        const { org, hybridPq, limits, allowedRoots, tsa } = await api.settings({});
        return { org, 'hybrid-pq': hybridPq ? 'on' : 'off', limits, 'allowed-roots': allowedRoots, tsa: tsa.url ?? 'none', 'tsa-anchors': tsa.anchors };
      });
      if (o.json) json(s);
      else for (const [k, v] of Object.entries(s)) out(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`);
    });
  settings
    .command('unset')
    .description('remove a setting: tsa (stop time-stamping), tsa-anchors (trust no TSA)')
    .argument('<name>')
    .action(async (name: string) => {
      if (name !== 'tsa' && name !== 'tsa-anchors') throw new CustodyError('INVALID_ARGUMENT', `expected a setting that can be removed (tsa, tsa-anchors), got ${JSON.stringify(name)}`);
      await withApi('settingsSet', (api) => api.settingsSet(name === 'tsa' ? { tsaUrl: null } : { tsaAnchorsPem: null }), { keys: true });
      out(`${name}: none`);
    });
  settings
    .command('set')
    .description(
      'change a setting: hybrid-pq on|off (an ML-DSA-65 co-signature in every manifest); allowed-roots DIR... (where watched folders and web mode\'s files may live; "none" clears them); ' +
        'tsa URL (an RFC 3161 time-stamp authority that stamps every claim signature); tsa-anchors FILE (the PEM roots time-stamps must chain to)',
    )
    .argument('<name>')
    .argument('<values...>')
    .action(async (name: string, values: string[]) => {
      if (name === 'tsa' || name === 'tsa-anchors') {
        if (values.length !== 1) throw new CustodyError('INVALID_ARGUMENT', `expected one ${name === 'tsa' ? 'URL' : 'PEM file'} for ${name}, got ${values.length}`);
        const change = name === 'tsa' ? { tsaUrl: values[0] as string } : { tsaAnchorsPem: readText(values[0] as string, 'PEM certificates') };
        const set = (await withApi('settingsSet', (api) => api.settingsSet(change), { keys: true })).tsa;
        out(name === 'tsa' ? `tsa: ${set.url ?? 'none'}` : `tsa-anchors: ${set.anchors} certificate(s)`);
        return;
      }
      if (name === 'allowed-roots') {
        const roots = values.length === 1 && values[0] === 'none' ? [] : values.map((v) => resolve(v));
        const set = (await withApi('settingsSet', (api) => api.settingsSet({ allowedRoots: roots }), { keys: true })).allowedRoots;
        out(`allowed-roots: ${set.length ? set.join(', ') : 'none'}`);
        return;
      }
      if (name !== 'hybrid-pq') throw new CustodyError('INVALID_ARGUMENT', `expected a setting name (hybrid-pq, allowed-roots, tsa, tsa-anchors), got ${JSON.stringify(name)}`);
      const value = values[0];
      if (values.length !== 1 || (value !== 'on' && value !== 'off')) throw new CustodyError('INVALID_ARGUMENT', `expected on or off for hybrid-pq, got ${JSON.stringify(values.join(' '))}`);
      await withApi('settingsSet', (api) => api.settingsSet({ hybridPq: value === 'on' }), { keys: true });
      out(`hybrid-pq: ${value}`);
    });

  const timestamps = program.command('timestamps').description('RFC 3161 time-stamps: those pending because the TSA did not answer at signing, and obtaining them');
  timestamps
    .command('list')
    .description('the time-stamps still pending')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      // What is pending is part of the items, which any user reads.
      const pending = await withApi('items', async (_api, desk) => desk.pendingTimestamps());
      if (o.json) return json(pending);
      if (pending.length === 0) return out('no time-stamp pending');
      for (const p of pending) out(`${p.recordId}  ${p.manifest}  ${p.attempts} attempt(s)  next ${p.nextAttemptAt}  ${p.lastError ?? ''}`);
    });
  timestamps
    .command('stamp')
    .description('ask the TSA for the pending time-stamps that are due (--all: every one, ignoring the back-off); each is kept with its record')
    .option('--all', 'every pending time-stamp, due or not')
    .option('--json', 'print as JSON')
    .action(async (o: { all?: boolean; json?: boolean }) => {
      const run = await withApi('timestampsStamp', (api) => api.timestampsStamp(o.all ? { all: true } : {}));
      if (o.json) return json(run);
      for (const s of run.stamped) out(`stamped ${s.recordId} (${s.manifest}) at ${s.genTime}`);
      for (const f of run.failed) out(`not stamped ${f.recordId} (${f.manifest}): ${f.error}; next attempt ${f.nextAttemptAt}`);
      out(`${run.stamped.length} stamped, ${run.failed.length} failed, ${run.waiting} waiting`);
      if (run.failed.length > 0) process.exitCode = 2;
    });
}
