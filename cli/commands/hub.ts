// `custody hub init` and `custody hub serve`: the organisation's shared verification server (server/).
// SQLite in a data folder by default (CUSTODY_HUB_HOME, else ./custody-hub); PostgreSQL with --database or DATABASE_URL.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { parseLdapConfig } from '../../core/directory/ldap-config.ts';
import { LdapSource } from '../../core/directory/ldap-source.ts';
import { CustodyError } from '../../core/errors.ts';
import { trustedProxies } from '../../server/http/app.ts';
import { hubLogKey, initHub, startHub, type HubLocation } from '../../server/serve.ts';
import { hiddenPrompt } from '../passphrase.ts';
import { err, json, out } from '../context.ts';
import { readPassword } from './auth.ts';
import { readConfigFile } from './directory.ts';
import { registerHubLink } from './sync.ts';
import { addChainOptions, chainConfigOf, registerChainAdmin, registerChainKeys, type ChainFlags } from './hub-chain.ts';

function location(o: { data?: string; database?: string }): HubLocation {
  const database = o.database ?? process.env.DATABASE_URL ?? null;
  return { database: database || null, dataDir: resolve(o.data ?? process.env.CUSTODY_HUB_HOME ?? 'custody-hub') };
}

/**
 * The directory hub admins may log in with: the desks' JSON configuration (docs/directory.md); the service password
 * from its bindPassword or CUSTODY_HUB_DIRECTORY_PASSWORD (the hub has no key vault: keep the file readable by the
 * hub's account only, or use the environment).
 */
function directoryOf(file: string | undefined): LdapSource | null {
  if (!file) return null;
  const { config, bindPassword } = readConfigFile(file);
  const password = bindPassword ?? process.env.CUSTODY_HUB_DIRECTORY_PASSWORD ?? '';
  if (password === '') throw new CustodyError('INVALID_ARGUMENT', `expected the service account password in ${file} (bindPassword) or CUSTODY_HUB_DIRECTORY_PASSWORD, got neither`);
  return new LdapSource(parseLdapConfig(config), password);
}

/**
 * The passphrase that seals the hub's keys (the checkpoint key): CUSTODY_HUB_PASSPHRASE, else a prompt. The first
 * start creates the vault with it, so it must then be hard to guess.
 */
async function hubPassphrase(): Promise<string> {
  const fromEnv = process.env.CUSTODY_HUB_PASSPHRASE;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!process.stdin.isTTY) throw new CustodyError('KEY_LOCKED', "expected the hub's passphrase in CUSTODY_HUB_PASSPHRASE or typed at a prompt, got neither (no terminal to prompt on)");
  return hiddenPrompt("Passphrase for the hub's keys: ");
}

export function register(program: Command): void {
  const hub = program.command('hub').description("the organisation's hub: collects every desk's fingerprints and answers verification queries");
  registerHubLink(hub);

  hub
    .command('init')
    .description('create an organisation on the hub (and the database, if new); prints its first admin API key once')
    .requiredOption('--org <name>', 'organisation name')
    .option('--data <dir>', 'data folder for the embedded SQLite database (default: CUSTODY_HUB_HOME, else ./custody-hub)')
    .option('--database <url>', 'PostgreSQL URL (default: DATABASE_URL; none: SQLite in the data folder)')
    .option('--admin <name>', 'also create a hub admin login (password from CUSTODY_PASSWORD or a prompt)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { org: string; data?: string; database?: string; admin?: string; json?: boolean }) => {
      const admin = o.admin ? { name: o.admin, password: await readPassword(`Password for the hub admin ${o.admin}: `, { confirm: true }) } : undefined;
      const r = await initHub(location(o), { org: o.org, ...(admin ? { admin } : {}) });
      if (o.json) {
        json({ tenantId: r.tenant.id, org: r.tenant.name, adminKeyId: r.adminKeyId, adminKey: r.adminKey, hubAdmin: r.hubAdmin, database: r.database });
        return;
      }
      out(`Organisation ${r.tenant.name} (${r.tenant.id}) created on the hub at ${r.database}.`);
      out(`Admin API key (shown once, keep it safe): ${r.adminKey}`);
      if (r.hubAdmin) out(`Hub admin login: ${r.hubAdmin}`);
      out('Next: POST /v1/enrolment-tokens with this key to enrol a desk; `custody hub serve` to start the hub.');
    });

  addChainOptions(hub
    .command('serve')
    .description('serve the hub API, the Soft Binding Resolution API and the public verification page')
    .option('--port <n>', 'port (default 8640; 0 for any free one)', (v) => Number.parseInt(v, 10))
    .option('--host <addr>', 'address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)')
    .option('--data <dir>', 'data folder for the embedded SQLite database (default: CUSTODY_HUB_HOME, else ./custody-hub)')
    .option('--database <url>', 'PostgreSQL URL (default: DATABASE_URL; none: SQLite in the data folder)')
    .option('--trust-proxy <addresses>', "behind a reverse proxy: the proxies' IP addresses or CIDR ranges, comma-separated (such as 127.0.0.1 or 10.0.0.0/8); client addresses are then taken from X-Forwarded-For entries those proxies added")
    .option('--directory <file>', "also let hub admins log in with the newsroom's LDAP/AD: a JSON configuration as for desks (docs/directory.md)")
    .option('--log-name <name>', "the checkpoint key's name when the hub creates it (default custody-hub; a URL-like name such as hub.example.org/custody); fixed after")
    .option('--checkpoint-interval <seconds>', 'sign each organisation\'s log at least this often when it grew (default 10)', (v) => Number.parseFloat(v)))
    .action(async (o: ChainFlags & { port?: number; host?: string; data?: string; database?: string; trustProxy?: string; directory?: string; logName?: string; checkpointInterval?: number }) => {
      const port = o.port ?? 8640;
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CustodyError('INVALID_ARGUMENT', `expected a port from 0 to 65535, got ${o.port}`);
      const interval = o.checkpointInterval ?? 10;
      if (!(interval >= 0.1 && interval <= 86_400)) throw new CustodyError('INVALID_ARGUMENT', `expected a checkpoint interval from 0.1 to 86400 seconds, got ${o.checkpointInterval}`);
      const trustProxy = o.trustProxy === undefined ? undefined : trustedProxies(o.trustProxy);
      const loc = location(o);
      const directory = directoryOf(o.directory);
      const chain = chainConfigOf(o);
      const passphrase = await hubPassphrase();
      const running = await startHub(loc, {
        port, host: o.host ?? '127.0.0.1', logger: { level: process.env.LOG_LEVEL ?? 'info' }, ...(trustProxy !== undefined ? { trustProxy } : {}), directory,
        passphrase, ...(o.logName ? { logName: o.logName } : {}), checkpointIntervalMs: Math.round(interval * 1000), chain,
      });
      err(`hub: serving ${running.url} (${running.hub.dialect} at ${running.hub.location}); checkpoints signed by ${running.app.ctx.tlog.verifierKey()}`);
      err(chain ? `hub: anchoring checkpoints on chain ${chain.chainId} at ${chain.contract} (${chain.confirmations} confirmations)` : 'hub: no chain configured: proofs say "not on chain"');
      await new Promise<void>((done) => {
        const stop = () => void running.close().then(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  registerChainKeys(hub, location, hubPassphrase);
  registerChainAdmin(hub, location, hubPassphrase);

  hub
    .command('key')
    .description("print the hub's checkpoint verifier key (pin it in `custody proof verify --hub-key`); needs no passphrase")
    .option('--data <dir>', 'data folder for the embedded SQLite database (default: CUSTODY_HUB_HOME, else ./custody-hub)')
    .option('--database <url>', 'PostgreSQL URL (default: DATABASE_URL; none: SQLite in the data folder)')
    .action(async (o: { data?: string; database?: string }) => {
      out(await hubLogKey(location(o)));
    });
}
