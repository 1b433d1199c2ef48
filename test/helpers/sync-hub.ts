// A hub for the sync tests: in this process (startHub) or as a real `custody hub serve` child on 127.0.0.1 that a
// test can kill -9 and start again on the same data folder and port. Enrolment tokens come from the org's admin key.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import sharp from 'sharp';
import { initHub, startHub, type InitResult, type RunningHub } from '../../server/serve.ts';
import { CHEAP_SCRYPT, ROOT, tempDir } from './cli.ts';
import type { Desk } from '../../core/desk.ts';
import { photo } from '../fixtures/photos.ts';
import { tempDesk } from './desk.ts';
import { call } from './hub-desk.ts';

export const OPEN_LIMITS = { perKey: 1_000_000, perTenant: 1_000_000, perAddress: 1_000_000 };

export interface TestHub {
  url: string;
  dataDir: string;
  init: InitResult;
  enrolmentToken(label?: string): Promise<string>;
  /** Records the hub holds for the org, by id, with how many times each id is stored. */
  records(): Promise<{ id: string; seq: number }[]>;
  close(): Promise<void>;
}

async function tokenFrom(url: string, adminKey: string, label: string): Promise<string> {
  const t = await call(url, 'POST', '/v1/enrolment-tokens', { token: adminKey, json: { label } });
  if (t.status !== 201) throw new Error(`enrolment token: ${t.status} ${JSON.stringify(t.body)}`);
  return t.body.token as string;
}

/** Rows of the hub's records table, read through its own database (never through the desk). */
async function hubRows(dataDir: string): Promise<{ id: string; seq: number }[]> {
  const { openHubDatabase } = await import('../../server/db/connect.ts');
  const db = await openHubDatabase({ database: null, dataDir });
  try {
    const rows = await db.db.selectFrom('records').select(['id', 'tenant_seq']).orderBy('tenant_seq').execute();
    return rows.map((r) => ({ id: r.id, seq: r.tenant_seq }));
  } finally {
    await db.close();
  }
}

/** With its transparency log signing a checkpoint every `checkpointMs` (the hub vault at a cheap scrypt cost). */
export async function inProcessHub(org = 'Daily Planet', o: { checkpointMs?: number } = {}): Promise<TestHub & { running: RunningHub }> {
  const dataDir = tempDir('custody-sync-hub-');
  const init = await initHub({ database: null, dataDir }, { org });
  const running = await startHub({ database: null, dataDir }, { rateLimits: OPEN_LIMITS, passphrase: 'hub passphrase for the sync tests', scrypt: CHEAP_SCRYPT, checkpointIntervalMs: o.checkpointMs ?? 200 });
  return {
    url: running.url,
    dataDir,
    init,
    running,
    enrolmentToken: (label = 'desk') => tokenFrom(running.url, init.adminKey, label),
    records: () => hubRows(dataDir),
    close: () => running.close(),
  };
}

/** `custody hub serve` in a child process; stop() kills it with SIGKILL, start() brings it back on the same port. */
export class HubProcess implements TestHub {
  readonly dataDir: string;
  init!: InitResult;
  port = 0;
  #child: ChildProcess | null = null;
  log = '';

  constructor(dataDir = tempDir('custody-sync-hub-')) {
    this.dataDir = dataDir;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async create(org = 'Daily Planet'): Promise<HubProcess> {
    const h = new HubProcess();
    h.init = await initHub({ database: null, dataDir: h.dataDir }, { org });
    await h.start();
    return h;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'custody.js'), 'hub', 'serve', '--data', this.dataDir, '--port', String(this.port), '--checkpoint-interval', '0.5'], {
        cwd: ROOT,
        env: { ...process.env, LOG_LEVEL: 'warn', CUSTODY_HUB_PASSPHRASE: process.env.CUSTODY_HUB_PASSPHRASE ?? 'hub passphrase for the sync tests' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      this.#child = child;
      let seen = '';
      const onData = (d: Buffer) => {
        seen += d.toString();
        this.log += d.toString();
        const m = seen.match(/serving http:\/\/127\.0\.0\.1:(\d+)/);
        if (m) {
          this.port = Number(m[1]);
          child.stderr!.off('data', onData);
          child.stderr!.on('data', (x: Buffer) => (this.log += x.toString()));
          resolve();
        }
      };
      child.stderr!.on('data', onData);
      child.once('exit', (code, signal) => {
        if (this.#child === child) this.#child = null;
        reject(new Error(`hub exited (${code ?? signal}) before serving: ${seen}`));
      });
    });
  }

  /** kill -9, and wait until the process is gone. */
  async kill(): Promise<void> {
    const c = this.#child;
    if (!c) return;
    this.#child = null;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
  }

  enrolmentToken(label = 'desk'): Promise<string> {
    return tokenFrom(this.url, this.init.adminKey, label);
  }

  records(): Promise<{ id: string; seq: number }[]> {
    return hubRows(this.dataDir);
  }

  close(): Promise<void> {
    return this.kill();
  }
}

/**
 * An in-process hub for 'Daily Planet' that checkpoints every 200 ms, a fresh desk of the same org, and a temporary
 * folder; the desk is connected to the hub as 'photo desk' unless `connect` is false. Close it with `closeBoth`.
 */
export async function deskWithHub(dirPrefix: string, connect = true): Promise<{ hub: TestHub; desk: Desk; dir: string }> {
  const hub = await inProcessHub('Daily Planet', { checkpointMs: 200 });
  const desk = await tempDesk('Daily Planet');
  const dir = tempDir(dirPrefix);
  if (connect) await desk.hub.connect({ name: 'desk', roles: ['admin'] }, { url: hub.url, token: await hub.enrolmentToken(), name: 'photo desk' });
  return { hub, desk, dir };
}

/** Signs a copy of coffee.png `i` steps larger (so each is another picture) on `desk`, outputs under `dir`/out; the record id. */
export async function signResized(desk: Desk, dir: string, i: number): Promise<string> {
  const p = join(dir, `p${i}.png`);
  await sharp(photo('coffee.png')).resize(240 + i * 16).png().toFile(p);
  return (await desk.sign(p, { actor: desk.bootstrapActor()!, outDir: join(dir, 'out') })).recordId;
}

export async function closeBoth(desk: Desk | undefined, hub: TestHub | undefined): Promise<void> {
  desk?.close();
  await hub?.close();
}
