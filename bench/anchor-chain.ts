// bench:anchor's chain figures (issue 16), on `hardhat node` (EDR) on 127.0.0.1:
//   gas per registerBatch (a log's first batch, the next ones, and ones at 10 M leaves, each with its consistency
//   proof) and per record for a checkpoint of 1,000 leaves;
//   the delay from a record's ingest to its proof naming the anchoring transaction, with the hub's 10 s checkpoint
//   interval, the default 2 confirmations, and a chain that mines each transaction at once (automine) plus a block
//   every second (so there are blocks to confirm on).
import { randomBytes } from 'node:crypto';
import { hexlify, type Contract } from 'ethers';
import { hubChainKeys, startHub } from '../server/serve.ts';
import { openHubDatabase } from '../server/db/connect.ts';
import { deployRegistry, fund, hardhatNode, nextBatch, registerLog, UniformHistory } from '../test/helpers/chain.ts';
import { tempDir } from '../test/helpers/cli.ts';
import { TEST_SCRYPT } from '../test/helpers/desk.ts';
import { enrolledDesk, signedRecords } from './hub-load.ts';

type Row = (...cells: string[]) => void;
const now = () => Number(process.hrtime.bigint()) / 1e6;
const fmt = (n: number) => n.toLocaleString('en-US');
const PASSPHRASE = 'bench passphrase for the hub vault';

async function gas(row: Row, registry: Contract, logId: string, batches: number): Promise<void> {
  // Batches of one history (every leaf the same, so any size costs a few hashes to build), each with its consistency
  // proof from the one before: 1,000 leaves apart from 1,000, then from 10,000,000 (a proof's length grows with the size).
  const history = new UniformHistory();
  const register = async (size: number) => {
    const { root, proof } = await nextBatch(registry, logId, history, size);
    const receipt = await (await registry.getFunction('registerBatch')(root, size, hexlify(randomBytes(32)), Math.floor(Date.now() / 1000), proof)).wait();
    return { gas: Number(receipt.gasUsed), hashes: proof.length };
  };
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const small: { gas: number; hashes: number }[] = [];
  for (let i = 1; i <= batches; i++) small.push(await register(i * 1000));
  const large: { gas: number; hashes: number }[] = [];
  for (let i = 0; i <= batches; i++) large.push(await register(10_000_000 + i * 1000));
  const [first, ...rest] = small;
  const next = mean(rest.map((r) => r.gas));
  const at10M = mean(large.slice(1).map((r) => r.gas));
  row('gas per batch (registerBatch)', `${fmt(first!.gas)} first, ${fmt(Math.round(next))} next`, `a log's first batch (no proof) sets its latest size and root from zero; mean of ${rest.length} more up to ${fmt(batches * 1000)} leaves, ${mean(rest.map((r) => r.hashes)).toFixed(1)} proof hashes on average`);
  row('gas per batch at 10,000,000 leaves', `${fmt(Math.round(at10M))}`, `mean of ${large.length - 1} batches of 1,000 leaves from 10,000,000, ${mean(large.slice(1).map((r) => r.hashes)).toFixed(1)} proof hashes on average`);
  row('gas per record, batches of 1,000 leaves', `${(next / 1000).toFixed(1)} gas, ${(at10M / 1000).toFixed(1)} at 10 M`, 'the next-batch figures / 1,000: a checkpoint covers every leaf since the previous one');
}

export async function chainFigures(row: Row, o: { batches: number; delays: number; intervalS: number }): Promise<void> {
  const chain = await hardhatNode();
  try {
    const owner = await chain.provider.getSigner(0);
    const registry = await deployRegistry(owner);
    const key = await chain.provider.getSigner(1);
    const logId = await registerLog(registry, 'bench/gas', await key.getAddress());
    await gas(row, registry.connect(key) as Contract, logId, o.batches);

    await chain.provider.send('evm_setIntervalMining', [1000]);
    const loc = { database: null, dataDir: tempDir('custody-bench-anchor-chain-') };
    const db = await openHubDatabase(loc);
    const desk = await enrolledDesk(db.db, 'chain delay');
    await db.close();
    const k = (await hubChainKeys(loc, PASSPHRASE, TEST_SCRYPT)).find((x) => x.tenantId === desk.tenantId)!;
    await registerLog(registry, k.origin, k.address);
    await fund(chain, [k.address]);
    const hub = await startHub(loc, {
      passphrase: PASSPHRASE, scrypt: TEST_SCRYPT, checkpointIntervalMs: o.intervalS * 1000, rateLimits: { perKey: 1e9, perTenant: 1e9 },
      chain: { rpc: chain.url, chainId: 31337, contract: registry.target as string, pollMs: 250 },
    });
    try {
      const delays: number[] = [];
      for (let i = 0; i < o.delays; i++) {
        await new Promise((ok) => setTimeout(ok, Math.random() * 3000));
        const [record] = signedRecords(desk, 1);
        const t0 = now();
        const ing = await fetch(`${hub.url}/v1/records`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${desk.apiKey}` }, body: JSON.stringify({ records: [record] }) });
        if (ing.status !== 200) throw new Error(`ingest answered ${ing.status}`);
        for (;;) {
          const r = await fetch(`${hub.url}/v1/log/records/${record!.id}/proof`, { headers: { authorization: `Bearer ${desk.apiKey}` } });
          if (r.status === 200 && ((await r.json()) as { chain: unknown }).chain !== null) break;
          if (r.status !== 200 && r.status !== 409) throw new Error(`proof answered ${r.status}`);
          await new Promise((ok) => setTimeout(ok, 100));
        }
        delays.push((now() - t0) / 1000);
      }
      row(`ingest → proof anchored, ${o.intervalS} s interval`, `max ${Math.max(...delays).toFixed(1)} s, mean ${(delays.reduce((a, b) => a + b, 0) / delays.length).toFixed(1)} s`, `${o.delays} records at random moments; 2 confirmations, automine + a block a second, worker polling every 250 ms`);
    } finally {
      await hub.close();
    }
  } finally {
    await chain.close();
  }
}
