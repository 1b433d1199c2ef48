// `custody proof verify` as a verifier runs it, with no hub and no desk: a record pushed to a real hub gets a proof
// file, and the command accepts it with the pinned key (exit 0) and refuses each tampering with its own code (exit 1).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../core/crypto/ed25519.ts';
import { formatVerifierKey, noteKeyOf } from '../core/tlog/note.ts';
import { parseTlogProof, formatTlogProof } from '../core/tlog/tlog-proof.ts';
import type { ProofFile } from '../core/tlog/proof-file.ts';
import { initHub, startHub, type RunningHub } from '../server/serve.ts';
import { runCli, tempDir } from './helpers/cli.ts';
import { TEST_SCRYPT } from './helpers/desk.ts';
import { call } from './helpers/hub-desk.ts';
import { deskKey, enrolKey, signedRecord } from './helpers/tlog.ts';

describe('custody proof verify', () => {
  let hub: RunningHub;
  let dir: string;
  let vkey: string;
  let good: ProofFile;
  const write = (name: string, f: unknown) => {
    const p = join(dir, name);
    writeFileSync(p, typeof f === 'string' ? f : JSON.stringify(f, null, 2));
    return p;
  };

  beforeAll(async () => {
    dir = tempDir('custody-proof-cli-');
    const loc = { database: null, dataDir: dir };
    const init = await initHub(loc, { org: 'Daily Planet' });
    hub = await startHub(loc, { passphrase: 'hub vault passphrase for the proof cli test', scrypt: TEST_SCRYPT, checkpointIntervalMs: 3_600_000 });
    const desk = deskKey();
    const { apiKey } = await enrolKey(hub.url, init.adminKey, desk);
    const records = Array.from({ length: 6 }, () => signedRecord(desk));
    await call(hub.url, 'POST', '/v1/records', { token: apiKey, json: { records } });
    await hub.app.ctx.tlog.sign(init.tenant.id);
    vkey = (await call(hub.url, 'GET', '/v1/log/key')).body.key as string;
    good = (await call(hub.url, 'GET', `/v1/log/records/${records[4]!.id}/proof`, { token: apiKey })).body as unknown as ProofFile;
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('accepts the proof of a pushed record with the pinned key, and says it is not on chain', async () => {
    const r = await runCli(['proof', 'verify', write('good.json', good), '--hub-key', vkey]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^proof ok: record rec_\w+ is leaf 4 of 6 in custody-hub\/org_/);
    expect(r.stdout).toMatch(/chain {7}not on chain/);
    const j = await runCli(['proof', 'verify', write('good2.json', good), '--json'], { CUSTODY_HUB_KEY: vkey });
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: true, index: 4, size: 6, chain: { status: 'not on chain' } });
  }, 60_000);

  it('refuses each tampering with its own code, exit 1', async () => {
    const tp = parseTlogProof(good.proof);
    const flipped = formatTlogProof({ ...tp, hashes: tp.hashes.map((h, i) => (i === 0 ? h.map((b, j) => (j === 5 ? b ^ 0x40 : b)) : h)) });
    const cases: [string, unknown, string][] = [
      ['leaf', { ...good, leaf: good.leaf.replace(/"sha256":"(.)/, (_m, c: string) => `"sha256":"${c === 'a' ? 'b' : 'a'}`) }, 'PROOF_LEAF_MISMATCH'],
      ['leaf-not-canonical', { ...good, leaf: good.leaf.replace('"type":"record"', '"type": "record"') }, 'PROOF_MALFORMED'],
      ['leaf-hash', { ...good, leafHash: good.leafHash.replace(/^./, (c) => (c === '0' ? '1' : '0')) }, 'PROOF_LEAF_MISMATCH'],
      ['hash', { ...good, proof: flipped }, 'PROOF_INCLUSION_FAILED'],
      ['checkpoint', { ...good, proof: good.proof.replace('\n6\n', '\n7\n') }, 'CHECKPOINT_SIGNATURE_INVALID'],
      ['not-json', '{"format": ', 'PROOF_MALFORMED'],
    ];
    for (const [name, file, code] of cases) {
      const r = await runCli(['proof', 'verify', write(`${name}.json`, file), '--hub-key', vkey]);
      expect({ name, code: r.code, err: r.stderr.split(':')[0] }).toEqual({ name, code: 1, err: `error ${code}` });
    }
    const other = formatVerifierKey(noteKeyOf('custody-hub', generateKeyPair().publicKey));
    const wrong = await runCli(['proof', 'verify', write('wrong-key.json', good), '--hub-key', other]);
    expect([wrong.code, wrong.stderr.split(':')[0]]).toEqual([1, 'error CHECKPOINT_WRONG_KEY']);
  }, 120_000);

  it('names the chain reference it was given, unchecked without --rpc; needs a pinned key', async () => {
    const chain = { chainId: 31337, contract: `0x${'ab'.repeat(20)}`, tx: `0x${'cd'.repeat(32)}`, block: 7, timestamp: null };
    const r = await runCli(['proof', 'verify', write('chain.json', { ...good, chain }), '--hub-key', write('hub.key', `${vkey}\n`)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/on chain 31337, contract 0xabab.*block 7 \(not checked: give --rpc\)/);
    const none = await runCli(['proof', 'verify', write('x.json', good)], { CUSTODY_HUB_KEY: '' });
    expect([none.code, none.stderr.split(':')[0]]).toEqual([2, 'error INVALID_ARGUMENT']);
  }, 60_000);
});
