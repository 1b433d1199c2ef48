// The anchoring crash drill shared by anchor-crash.test.ts (two steps) and anchor-crash.slow.test.ts (every step):
// a real `custody hub serve` child process anchors on `hardhat node`; CUSTODY_CRASH_POINT kills it (SIGKILL) at a
// named step of the worker; a restart without it must finish every batch, and the chain must hold every checkpoint
// exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { hexlify, type Contract } from 'ethers';
import { expect } from 'vitest';
import { openHubDatabase } from '../../server/db/connect.ts';
import { hubChainKeys, initHub, type HubLocation } from '../../server/serve.ts';
import { ROOT, tempDir } from './cli.ts';
import { deployRegistry, fund, hardhatNode, registerLog, until, type TestChain } from './chain.ts';
import { TEST_SCRYPT } from './desk.ts';
import { call } from './hub-desk.ts';
import { deskKey, enrolKey, signedRecord } from './tlog.ts';

const PASSPHRASE = 'hub vault passphrase for the anchoring crash drill';

export interface Drill {
  chain: TestChain & { url: string };
  registry: Contract;
  loc: HubLocation;
  logId: string;
  /** Runs the hub until it kills itself at `point` (after pushing `records` new records), then restarts it until every checkpoint is confirmed. */
  crashAt(point: string, records?: number): Promise<void>;
  /** Every checkpoint the hub signed is on chain exactly once, as its batch row says. */
  checkExactlyOnce(): Promise<number>;
  close(): Promise<void>;
}

function serve(loc: HubLocation, chain: { url: string; contract: string }, env: Record<string, string>): { child: ChildProcess; url: Promise<string>; exited: Promise<{ code: number | null; signal: string | null; stderr: string }> } {
  const args = ['hub', 'serve', '--port', '0', '--data', loc.dataDir, '--checkpoint-interval', '0.2', '--chain-rpc', chain.url, '--chain-id', '31337', '--chain-contract', chain.contract, '--chain-poll', '0.1', '--chain-lease', '1'];
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'custody.js'), ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', CUSTODY_HUB_PASSPHRASE: PASSPHRASE, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /hub: serving (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.once('exit', () => reject(new Error(`hub serve exited before serving: ${stderr}`)));
  });
  url.catch(() => {});
  const exited = new Promise<{ code: number | null; signal: string | null; stderr: string }>((r) => child.once('exit', (code, signal) => r({ code, signal, stderr })));
  return { child, url, exited };
}


export async function anchorDrill(): Promise<Drill> {
  const chain = await hardhatNode();
  await chain.provider.send('evm_setIntervalMining', [100]);
  const owner = await chain.provider.getSigner(0);
  const registry = await deployRegistry(owner);
  const loc: HubLocation = { dataDir: join(tempDir('custody-anchor-crash-'), 'hub') };
  const init = await initHub(loc, { org: 'Daily Planet' });
  const [keys] = await hubChainKeys(loc, PASSPHRASE, TEST_SCRYPT);
  await registerLog(registry, keys!.origin, keys!.address);
  await fund(chain, [keys!.address]);
  const desk = deskKey();
  let apiKey: string | null = null;
  const target = { url: chain.url, contract: registry.target as string };
  const running = new Set<ChildProcess>();

  const checkpointsAllConfirmed = async () => {
    const hub = await openHubDatabase(loc);
    try {
      const cps = await hub.db.selectFrom('tlog_checkpoints').select('size').execute();
      const done = await hub.db.selectFrom('anchor_batches').select('size').where('state', '=', 'confirmed').execute();
      return cps.length > 0 && cps.length === done.length;
    } finally {
      await hub.close();
    }
  };

  return {
    chain,
    registry,
    loc,
    logId: keys!.logId,
    async crashAt(point, records = 3) {
      const first = serve(loc, target, { CUSTODY_CRASH_POINT: point });
      running.add(first.child);
      const base = await first.url;
      apiKey ??= (await enrolKey(base, init.adminKey, desk)).apiKey;
      const r = await call(base, 'POST', '/v1/records', { token: apiKey, json: { records: Array.from({ length: records }, () => signedRecord(desk)) } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const died = await Promise.race([first.exited, new Promise<null>((res) => setTimeout(() => res(null), 30_000))]);
      running.delete(first.child);
      if (!died) first.child.kill('SIGKILL');
      expect(died?.signal, `the hub should have killed itself at ${point}: ${died?.stderr ?? 'still running after 30 s'}`).toBe('SIGKILL');

      const second = serve(loc, target, {});
      running.add(second.child);
      await second.url;
      await until(`every checkpoint confirmed after a crash at ${point}`, checkpointsAllConfirmed, 60_000);
      second.child.kill('SIGTERM');
      await second.exited;
      running.delete(second.child);
    },
    async checkExactlyOnce() {
      const hub = await openHubDatabase(loc);
      try {
        const cps = await hub.db.selectFrom('tlog_checkpoints').select(['size', 'root']).orderBy('size').execute();
        const batches = await hub.db.selectFrom('anchor_batches').select(['size', 'root', 'state', 'tx_hash']).orderBy('size').execute();
        const events = await registry.queryFilter(registry.filters.BatchRegistered!(keys!.logId), 0, 'latest');
        const onChain = events.map((e) => {
          const a = (e as unknown as { args: [string, string, bigint] }).args;
          return { size: Number(a[2]), root: a[1], tx: e.transactionHash };
        });
        expect(onChain).toEqual(cps.map((c) => ({ size: c.size, root: hexlify(c.root), tx: expect.any(String) })));
        expect(batches.map((b) => ({ size: b.size, root: b.root, state: b.state, tx: b.tx_hash }))).toEqual(onChain.map((e) => ({ ...e, state: 'confirmed' })));
        return cps.length;
      } finally {
        await hub.close();
      }
    },
    async close() {
      for (const c of running) c.kill('SIGKILL');
      await chain.close();
    },
  };
}
