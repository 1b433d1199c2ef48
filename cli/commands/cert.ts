// `custody cert …` and `custody settings …`: the org's Content Credentials certificates, the trust list and the
// hybrid post-quantum switch and the allowed roots.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CustodyError } from '../../core/errors.ts';
import { json, out, withDesk } from '../context.ts';
import { currentActor } from './auth.ts';

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
      for (const line of (await withDesk((desk) => desk.orgRootPem())).trimEnd().split('\n')) out(line);
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
      const r = await withDesk((desk) => desk.importCertificate(chain, key), { unlock: true });
      if (o.json) json(r);
      else out(`Content Credentials will be signed by ${r.subject} (issued by ${r.issuer})`);
    });
  cert
    .command('trust')
    .description("trust another root (PEM file) when verifying Content Credentials, and the ML-DSA-65 key exported with it as that org's")
    .argument('<file>')
    .action(async (file: string) => {
      const pem = readText(file, 'PEM certificates');
      const added = await withDesk((desk) => desk.addTrustAnchors(pem));
      out(`trusted ${added.roots} more certificate(s)${added.pqKeys ? ` and ${added.pqKeys} ML-DSA-65 key(s)` : ''}`);
    });

  const settings = program.command('settings').description('desk settings');
  settings
    .command('get')
    .description('print the settings')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const s = await withDesk((desk) => ({ org: desk.info.org, 'hybrid-pq': desk.hybridPq ? 'on' : 'off', limits: desk.limits, 'allowed-roots': desk.allowedRoots }));
      if (o.json) json(s);
      else for (const [k, v] of Object.entries(s)) out(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`);
    });
  settings
    .command('set')
    .description('change a setting: hybrid-pq on|off (an ML-DSA-65 co-signature in every manifest); allowed-roots DIR... (where watched folders and web mode\'s files may live; "none" clears them)')
    .argument('<name>')
    .argument('<values...>')
    .action(async (name: string, values: string[]) => {
      if (name === 'allowed-roots') {
        const roots = values.length === 1 && values[0] === 'none' ? [] : values.map((v) => resolve(v));
        const set = await withDesk(async (desk) => desk.setAllowedRoots(roots, (await currentActor(desk, { required: false }))?.actor ?? null), { unlock: true });
        out(`allowed-roots: ${set.length ? set.join(', ') : 'none'}`);
        return;
      }
      if (name !== 'hybrid-pq') throw new CustodyError('INVALID_ARGUMENT', `expected a setting name (hybrid-pq, allowed-roots), got ${JSON.stringify(name)}`);
      const value = values[0];
      if (values.length !== 1 || (value !== 'on' && value !== 'off')) throw new CustodyError('INVALID_ARGUMENT', `expected on or off for hybrid-pq, got ${JSON.stringify(values.join(' '))}`);
      await withDesk((desk) => desk.setHybridPq(value === 'on'), { unlock: true });
      out(`hybrid-pq: ${value}`);
    });
}
