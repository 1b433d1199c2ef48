// Starting a hub: open (and migrate) the database, build the app, load the index, listen. And `hub init`: an
// organisation and its first admin API key, plus optionally a hub admin login.
import type { FastifyServerOptions } from 'fastify';
import { PassphraseProtector, type ScryptParams } from '../core/crypto/vault.ts';
import { CustodyError } from '../core/errors.ts';
import { logIdOf } from '../core/ledger/registry.ts';
import type { LdapSource } from '../core/directory/ldap-source.ts';
import { openHubDatabase, type HubDatabase } from './db/connect.ts';
import { buildHubApp, type HubApp } from './http/app.ts';
import type { RateLimits } from './http/context.ts';
import { AnchorKeys } from './anchor/keys.ts';
import { AnchorWorker, type ChainConfig } from './anchor/worker.ts';
import { HubVault } from './keys/hub-vault.ts';
import { createApiKey, createHubAdmin, createTenant, listTenants, type Tenant } from './tenants/tenants.ts';
import { loadLogKey, logVerifierKey, type LogKey } from './tlog/log-key.ts';
import type { AnchorLookup } from './tlog/service.ts';

export interface HubLocation {
  /** PostgreSQL URL; absent: SQLite in dataDir. */
  database?: string | null;
  dataDir: string;
}

export interface InitResult {
  tenant: Tenant;
  adminKey: string;
  adminKeyId: string;
  hubAdmin: string | null;
  database: string;
}

export async function initHub(loc: HubLocation, o: { org: string; admin?: { name: string; password: string }; scrypt?: ScryptParams }): Promise<InitResult> {
  const hub = await openHubDatabase(loc);
  try {
    const tenant = await createTenant(hub.db, o.org);
    const { key, token } = await createApiKey(hub.db, { tenantId: tenant.id, label: 'first admin key (hub init)', scopes: ['admin'], createdBy: 'hub init' });
    if (o.admin) await createHubAdmin(hub.db, o.admin.name, o.admin.password, o.scrypt ? { scrypt: o.scrypt } : {});
    return { tenant, adminKey: token, adminKeyId: key.id, hubAdmin: o.admin?.name ?? null, database: hub.location };
  } finally {
    await hub.close();
  }
}

/** The hub's checkpoint verifier key, read without the passphrase (NOT_INITIALIZED before the first `hub serve`). */
export async function hubLogKey(loc: HubLocation): Promise<string> {
  const hub = await openHubDatabase(loc);
  try {
    const key = await logVerifierKey(hub.db);
    if (!key) throw new CustodyError('NOT_INITIALIZED', `expected the hub at ${hub.location} to have a checkpoint key, got none: start it once with \`custody hub serve\``);
    return key;
  } finally {
    await hub.close();
  }
}

export interface ChainKeyInfo {
  tenantId: string;
  org: string;
  origin: string;
  /** keccak256(origin): the log's id in the ProvenanceRegistry. */
  logId: string;
  /** The tenant's anchoring address, to register with setAnchoringKey(logId, address) and to fund. */
  address: string;
}

/** Every organisation's anchoring address (needs the passphrase: the keys derive from a vault secret). */
export async function hubChainKeys(loc: HubLocation, passphrase: string, scrypt?: ScryptParams): Promise<ChainKeyInfo[]> {
  const hub = await openHubDatabase(loc);
  try {
    const vault = await HubVault.open(hub.db, new PassphraseProtector(passphrase, scrypt));
    const logKey = await loadLogKey(vault);
    const keys = await AnchorKeys.fromVault(vault);
    return (await listTenants(hub.db)).map((t) => {
      const origin = `${logKey.key.name}/${t.id}`;
      return { tenantId: t.id, org: t.name, origin, logId: logIdOf(origin), address: keys.address(t.id) };
    });
  } finally {
    await hub.close();
  }
}

export interface RunningHub {
  url: string;
  port: number;
  hub: HubDatabase;
  app: HubApp;
  close(): Promise<void>;
}

export async function startHub(
  loc: HubLocation,
  o: {
    port?: number; host?: string; logger?: FastifyServerOptions['logger']; rateLimits?: Partial<RateLimits>; directory?: LdapSource | null;
    /** The reverse proxies whose X-Forwarded-For is believed: IP addresses or CIDR ranges, comma-separated (buildHubApp). */
    trustProxy?: string;
    /** Opens the hub vault (creating it and the checkpoint key on first use); absent: the logs grow, nothing is signed. */
    passphrase?: string;
    scrypt?: ScryptParams;
    /** The checkpoint key's name when it is created (default custody-hub): origins are `<name>/<tenant id>`. */
    logName?: string;
    anchors?: AnchorLookup;
    /** Anchor every checkpoint on this chain (needs the passphrase: the anchoring keys are in the vault); absent: proofs say "not on chain". */
    chain?: ChainConfig | null;
    checkpointIntervalMs?: number;
    maxUnsigned?: number;
  } = {},
): Promise<RunningHub> {
  const hub = await openHubDatabase(loc);
  try {
    let logKey: LogKey | null = null;
    let anchorWorker: AnchorWorker | null = null;
    if (o.chain && o.passphrase === undefined) throw new CustodyError('INVALID_ARGUMENT', "expected the hub's passphrase with a chain to anchor on (the anchoring keys are in the hub vault), got none");
    if (o.passphrase !== undefined) {
      const vault = await HubVault.open(hub.db, new PassphraseProtector(o.passphrase, o.scrypt));
      logKey = await loadLogKey(vault, o.logName);
      if (o.chain) {
        const signer = logKey;
        anchorWorker = new AnchorWorker({
          hub, chain: o.chain, keys: await AnchorKeys.fromVault(vault), origin: (t) => `${signer.key.name}/${t}`, signerKey: signer.key.publicKey,
          log: (msg, detail, level) => anchorLog?.(msg, detail, level),
        });
      }
    }
    let anchorLog: ((msg: string, detail?: Record<string, unknown>, level?: 'info' | 'error') => void) | null = null;
    const anchors = o.anchors ?? anchorWorker ?? undefined;
    const app = await buildHubApp({
      logKey,
      ...(anchors ? { anchors } : {}),
      ...(o.checkpointIntervalMs ? { checkpointIntervalMs: o.checkpointIntervalMs } : {}),
      ...(o.maxUnsigned ? { maxUnsigned: o.maxUnsigned } : {}),
      hub,
      logger: o.logger ?? false,
      ...(o.rateLimits ? { rateLimits: o.rateLimits } : {}),
      ...(o.trustProxy !== undefined ? { trustProxy: o.trustProxy } : {}),
      directory: o.directory ?? null,
    });
    await app.loadIndex();
    const address = await app.app.listen({ port: o.port ?? 0, host: o.host ?? '127.0.0.1' });
    const port = Number(new URL(address).port);
    if (anchorWorker) {
      anchorLog = (msg, detail, level = 'info') => app.app.log[level](detail ?? {}, msg);
      anchorWorker.start();
    }
    return {
      url: address,
      port,
      hub,
      app,
      async close() {
        await anchorWorker?.stop();
        await app.app.close();
        await hub.close();
      },
    };
  } catch (e) {
    await hub.close();
    throw e;
  }
}
