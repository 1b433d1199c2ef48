// The compiled `custody` command (scripts/build-cli.js): built fresh here into a folder of its own, it starts without
// loading the heavy modules, signs and verifies like the sources do, and bin/custody.js runs it only while it matches
// the sources.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript, no declarations
import { buildCli } from '../scripts/build-cli.js';
// @ts-expect-error plain JavaScript, no declarations
import { staleReason, startText } from '../bin/compiled-cli.js';
import { printed } from '../cli/start-texts.ts';
import { photo } from './fixtures/photos.ts';
import { coarseSearch, offerCoarse, whiten, type SyncHit } from '../core/media/watermark/extract.ts';
import { gridDims, sealGrid } from '../core/media/watermark/grid.ts';
import { lumaToGrid } from '../core/media/watermark/resample.ts';
import type { PixelPool } from '../core/media/pixel-pool.ts';
import { loadRaster } from '../bench/watermark-attacks.ts';
import { ROOT, runCli, runNode, tempDir, type CliResult } from './helpers/cli.ts';

const outdir = join(ROOT, 'out', `cli-test-${process.pid}`);
const TRACE = join(ROOT, 'test', 'fixtures', 'trace-modules.js');
let info: { inputs: Record<string, [number, number]> };

/** Runs a file with node, optionally recording the modules it resolves. */
function run(file: string, args: string[], env: Record<string, string> = {}, trace?: string): Promise<CliResult> {
  return runNode([...(trace ? ['--import', TRACE] : []), file, ...args], { ...env, ...(trace ? { TRACE_MODULES: trace } : {}) });
}

const built = (...args: string[]) => run(join(outdir, 'main.js'), args, env);
let env: Record<string, string>;
let work: string;

beforeAll(async () => {
  info = (await buildCli({ outdir })) as typeof info;
  work = tempDir();
  env = { CUSTODY_HOME: join(work, 'desk'), CUSTODY_PASSPHRASE: 'correct horse battery staple' };
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('the compiled command', () => {
  it('prints the version and the help without loading the desk, sharp, c2pa-wasm or the watermark codec', async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    for (const args of [['--version'], ['--help']]) {
      const trace = join(work, `trace-${args[0]}.txt`);
      const r = await run(join(outdir, 'main.js'), args, env, trace);
      expect(r.code).toBe(0);
      if (args[0] === '--version') expect(r.stdout.trim()).toBe(version);
      else expect(r.stdout).toContain('sign [options] <files...>');
      const loaded = readFileSync(trace, 'utf8').split('\n');
      expect(loaded.some((u) => u.endsWith('/main.js'))).toBe(true); // the trace itself works
      expect(loaded.filter((u) => /sharp|better-sqlite3|c2pa|zod|xstate|ethers|\/(desk|media|watch|workflow)-/.test(u))).toEqual([]);
    }
  });

  it('loads only the module of the command it runs', async () => {
    const trace = join(work, 'trace-phash.txt');
    const r = await run(join(outdir, 'main.js'), ['phash', photo('coins.png')], env, trace);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toMatch(/^[0-9a-f]{16}$/);
    const loaded = readFileSync(trace, 'utf8').split('\n');
    expect(loaded.some((u) => /\/media-[A-Z0-9]+\.js$/.test(u))).toBe(true);
    expect(loaded.filter((u) => /better-sqlite3|c2pa|\/(desk|watch|workflow|audit)-[A-Z0-9]+\.js$/.test(u))).toEqual([]);
  });

  it('creates a desk, signs and verifies a photo like the sources do', async () => {
    expect((await built('init', '--org', 'Compiled Newsroom')).code).toBe(0);
    const src = join(work, 'coins.jpg');
    writeFileSync(src, await sharp(photo('coins.png')).jpeg({ quality: 92 }).toBuffer());
    const s = await built('sign', src, '--out', join(work, 'out'), '--json');
    expect(s.stderr).toBe('');
    const [receipt] = JSON.parse(s.stdout) as { output: string; watermark: { status: string }; c2pa: { status: string } }[];
    expect(receipt!.watermark.status).toBe('embedded');
    expect(receipt!.c2pa.status).toBe('embedded');
    const v = await built('verify', receipt!.output, '--json');
    expect(v.code).toBe(0);
    expect((JSON.parse(v.stdout) as { verdict: string }).verdict).toBe('authentic');
    // the same desk read by the sources: one build, one format
    const items = await runCli(['items', '--json'], { ...env, CUSTODY_CLI: 'sources' });
    expect((JSON.parse(items.stdout) as unknown[]).length).toBe(1);
  });

  it('starts its worker threads from beside its chunks, without a TypeScript loader', async () => {
    for (const name of ['pixel-worker.js', 'phash-worker.js', 'sign-worker.js']) {
      const w = new Worker(join(outdir, name));
      const ready = await new Promise<{ ready: boolean; loader: string }>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
      await w.terminate();
      expect(ready).toEqual({ ready: true, loader: 'native' });
    }
  });

  it("has its pixel worker fold the watermark extractor's coarse search from the extractor's own chunk", async () => {
    const img = await loadRaster(photo('coffee.png'));
    const { gw, gh } = gridDims(img.width, img.height);
    const white = sealGrid(whiten(lumaToGrid(img, gw, gh), gw, gh));
    const w = new Worker(join(outdir, 'pixel-worker.js'));
    try {
      await new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
      // the compiled worker as the pool's only worker: the request goes out as the pool would send it
      let answer: Promise<unknown> = Promise.resolve(null);
      const pool = { run: (request: unknown) => (answer = new Promise((resolve) => (w.once('message', resolve), w.postMessage({ id: 1, request })))) };
      const share = offerCoarse(white, gw, gh, pool as unknown as PixelPool)!;
      expect(await answer).toEqual({ id: 1, result: { kind: 'coarse' } });
      // the worker took every pair before this thread asked: the hits are all from the compiled code
      expect(Atomics.load(new Int32Array(share.ctl), 1)).toBe(2);
      const said = (hits: SyncHit[]) => hits.map(({ scale, angle, dx, dy, z, mirrored }) => ({ scale, angle, dx, dy, z, mirrored }));
      expect(said(coarseSearch(white, gw, gh, share))).toEqual(said(coarseSearch(white, gw, gh)));
    } finally {
      await w.terminate();
    }
  });
});

describe('freshness', () => {
  const copyInfo = (edit: (inputs: Record<string, [number, number]>) => void): string => {
    const dir = tempDir('custody-build-info-');
    const inputs = structuredClone(info.inputs);
    edit(inputs);
    writeFileSync(join(dir, 'build.json'), JSON.stringify({ inputs }));
    return dir;
  };

  it('lists every source of the command, and finds the fresh build current', () => {
    for (const f of ['cli/main.ts', 'cli/commands/desk.ts', 'core/desk.ts', 'core/media/watermark/extract.ts', 'core/media/pixel-worker.js', 'package.json']) {
      expect(Object.keys(info.inputs)).toContain(f);
    }
    expect(staleReason(ROOT, outdir)).toBeNull();
  });

  it('finds a build stale when a source changed size or time, is gone, or there is no build', () => {
    expect(staleReason(ROOT, copyInfo((i) => (i['core/desk.ts']![1] -= 1000)))).toBe('core/desk.ts changed');
    expect(staleReason(ROOT, copyInfo((i) => (i['cli/main.ts']![0] += 1)))).toBe('cli/main.ts changed');
    expect(staleReason(ROOT, copyInfo((i) => (i['cli/gone.ts'] = [1, 1])))).toBe('cli/gone.ts is gone');
    expect(staleReason(ROOT, tempDir())).toBe('not built');
  });

  it('bin/custody.js runs out/cli when it is current, else the sources', async () => {
    const trace = join(work, 'trace-bin.txt');
    const r = await run(join(ROOT, 'bin', 'custody.js'), ['logout', '--help'], {}, trace);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: custody logout');
    const loaded = readFileSync(trace, 'utf8').split('\n');
    const current = staleReason(ROOT, join(ROOT, 'out', 'cli')) === null;
    expect(loaded.some((u) => u.endsWith('/out/cli/main.js'))).toBe(current);
    expect(loaded.some((u) => u.endsWith('/cli/main.ts'))).toBe(!current);
    expect(existsSync(join(outdir, 'main.js.map'))).toBe(true);
  });
});

describe('--version and --help without the program', () => {
  type Start = { inputs: Record<string, [number, number]>; version: string; help: { at80: string; wide: string; wideFrom: number } };
  const start = (): Start => JSON.parse(readFileSync(join(outdir, 'start.json'), 'utf8')) as Start;
  const copyStart = (edit: (s: Start) => void): string => {
    const dir = tempDir('custody-start-info-');
    const s = start();
    edit(s);
    writeFileSync(join(dir, 'start.json'), JSON.stringify(s));
    return dir;
  };

  it('stores the sources the texts come from: the program, the index, package.json and commander, no command module', () => {
    const inputs = Object.keys(start().inputs);
    for (const f of ['cli/main.ts', 'cli/program.ts', 'cli/command-index.ts', 'cli/start-texts.ts', 'package.json']) expect(inputs).toContain(f);
    expect(inputs.some((f) => f.endsWith('node_modules/commander/lib/help.js'))).toBe(true);
    expect(inputs.filter((f) => /^core\/(?!errors\.ts$)|^cli\/commands\//.test(f))).toEqual([]);
    for (const f of inputs) expect(start().inputs[f]).toEqual(info.inputs[f]);
  });

  it('holds what the program prints from the sources, for every width at which it is used', async () => {
    for (const args of [['--version'], ['-V'], ['--help'], ['-h']]) {
      expect(startText(ROOT, outdir, args, undefined)).toBe(await printed(args, undefined));
    }
    expect(startText(ROOT, outdir, ['--version'], 120)).toBe(`${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}\n`);
    // commander wraps the help at a terminal's width: the stored text serves 80 columns and those wide enough for no
    // wrapping, and at every other width the program prints it
    const { wideFrom } = start().help;
    const used: number[] = [];
    for (let width = 1; width <= wideFrom + 40; width++) {
      const text = startText(ROOT, outdir, ['--help'], width);
      if (text === null) continue;
      used.push(width);
      expect(text, `width ${width}`).toBe(await printed(['--help'], width));
    }
    expect(used).toContain(80);
    expect(used).toContain(wideFrom);
    expect(used).not.toContain(wideFrom - 1);
    expect(used).not.toContain(60);
    // a terminal that can show colours gets the same text (the help has no styles)
    expect(await printed(['--help'], 200, true)).toBe(await printed(['--help'], 200));
  });

  it('the compiled program prints the stored texts', async () => {
    for (const args of [['--help'], ['--version']]) {
      const r = await built(...args);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(startText(ROOT, outdir, args, undefined));
    }
  });

  it('runs the program for anything else, and when a source of the texts changed or start.json is missing', () => {
    for (const args of [[], ['--version', '--help'], ['help'], ['sign', '--help'], ['--json']]) expect(startText(ROOT, outdir, args, undefined)).toBeNull();
    expect(startText(ROOT, copyStart((s) => (s.inputs['cli/command-index.ts']![1] -= 1000)), ['--help'], undefined)).toBeNull();
    expect(startText(ROOT, copyStart((s) => (s.inputs['package.json']![0] += 1)), ['--version'], undefined)).toBeNull();
    expect(startText(ROOT, copyStart((s) => (s.inputs['cli/gone.ts'] = [1, 1])), ['--version'], undefined)).toBeNull();
    expect(startText(ROOT, copyStart((s) => (s.inputs = {})), ['--version'], undefined)).toBeNull();
    expect(startText(ROOT, tempDir(), ['--version'], undefined)).toBeNull();
    // an unchanged copy is used: what made the others fail was the change
    expect(startText(ROOT, copyStart(() => {}), ['--version'], undefined)).toBe(start().version);
  });

  it('bin/custody.js prints them without loading out/cli while they are current, else through the program', async () => {
    for (const args of [['--version'], ['--help']]) {
      const trace = join(work, `trace-bin-start${args[0]}.txt`);
      const r = await run(join(ROOT, 'bin', 'custody.js'), args, {}, trace);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(await printed(args, undefined));
      const loaded = readFileSync(trace, 'utf8').split('\n');
      const current = startText(ROOT, join(ROOT, 'out', 'cli'), args, undefined) !== null;
      expect(loaded.filter((u) => u.startsWith('file:') && !/\/bin\/(custody|compiled-cli)\.js$/.test(u)).length === 0).toBe(current);
    }
  });
});
