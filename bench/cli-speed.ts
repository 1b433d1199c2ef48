// The speed people feel, for bench/sign.bench.ts: the `custody` command's start-up (compiled, and from the sources
// as after an edit), a fresh `custody sign` process against sharp's decode+encode (in a fresh process too, and warm
// in this one), watermark extraction from an unmarked photo (the common case when checking copies found online),
// and `custody watermark embed|extract` per megapixel through the command against the same work in this process.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { DEFAULT_SCRYPT, deriveKey } from '../core/crypto/vault.ts';
import { embedWatermarkFile, extractWatermarkFile } from '../core/media/watermark-file.ts';
import { embedWatermark, extractWatermark } from '../core/media/watermark/codec.ts';
import { useCoarseShare } from '../core/media/watermark/extract.ts';
import { pixelPoolStarted } from '../core/media/pixel-pool.ts';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'custody.js');
const PASS = 'bench passphrase';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** CPU seconds (user + system) of this process's finished children so far, where Linux tells (/proc), else null. */
function childrenCpu(): number | null {
  try {
    // fields after the command name: state is 3rd, cutime and cstime the 16th and 17th, in clock ticks (100 a second)
    const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return null;
  }
}

/** Wall seconds of one process `node ...args`, from spawn to exit (start-up included), and its CPU seconds. */
function processRun(args: string[], env: Record<string, string> = {}, okStatus = [0]): { wall: number; cpu: number | null } {
  const c = childrenCpu();
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  const wall = (performance.now() - t) / 1000;
  if (!okStatus.includes(r.status ?? -1)) throw new Error(`node ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const c2 = childrenCpu();
  return { wall, cpu: c === null || c2 === null ? null : c2 - c };
}

/** Rounds of several commands, interleaved so that they share the machine's load; medians in seconds. */
function interleaved(commands: Record<string, () => number>, rounds: number): Record<string, number> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (const f of Object.values(commands)) f(); // warm-up: file cache, V8's compile cache
  for (let i = 0; i < rounds; i++) for (const [k, f] of Object.entries(commands)) times[k]!.push(f());
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;

export async function startup(rounds: number): Promise<void> {
  const commands: Record<string, [string[], Record<string, string>?]> = {
    node: [['-e', '0']],
    version: [[BIN, '--version']],
    help: [[BIN, '--help']],
    sources: [[BIN, '--version'], { CUSTODY_CLI: 'sources' }],
  };
  const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  const t = interleaved(
    Object.fromEntries(
      Object.entries(commands).map(([k, [args, env]]) => [
        k,
        () => {
          const r = processRun(args, env);
          if (r.cpu !== null) cpu[k]!.push(r.cpu);
          return r.wall;
        },
      ]),
    ),
    rounds,
  );
  // the mean, not the median: the kernel counts children's CPU in 10 ms ticks, so one run's figure is coarse
  const mean = (xs: number[]) => xs.slice(1).reduce((a, b) => a + b, 0) / rounds; // the first run is the warm-up
  const cpuOf = (k: string) => (cpu[k]!.length > rounds ? ms(mean(cpu[k]!)) : 'n/a');
  const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log('');
  console.log('| start-up (fresh process) | median | CPU, mean |');
  console.log('| --- | --- | --- |');
  console.log(`| node -e 0 (the floor) | ${ms(t.node!)} | ${cpuOf('node')} |`);
  console.log(`| custody --version | ${ms(t.version!)} | ${cpuOf('version')} |`);
  console.log(`| custody --help | ${ms(t.help!)} | ${cpuOf('help')} |`);
  console.log(`| custody --version from the sources (tsx, as after an edit) | ${ms(t.sources!)} | ${cpuOf('sources')} |`);
  const worst = Math.max(t.version!, t.help!);
  // on a loaded machine every process's wall time stretches: the ratio to node's own start-up, and the CPU time
  // over node's, carry to an idle one
  const over = Math.max(...(['version', 'help'] as const).map((k) => (cpu[k]!.length > rounds && cpu.node!.length > rounds ? mean(cpu[k]!) - mean(cpu.node!) : NaN)));
  console.log(
    `start-up target ≤ 100 ms: ${worst <= 0.1 ? 'met' : 'MISSED'} (${ms(worst)}; node alone ${ms(t.node!)}, ratio ${(worst / t.node!).toFixed(2)}×` +
      `${Number.isNaN(over) ? '' : `, CPU over node's ${ms(over)}`}); load average ${load()} on ${cpus().length} CPUs`,
  );
}

/**
 * A fresh `custody sign` of `file` (start-up, vault unlock, signing, exit) against sharp's decode+encode in a fresh
 * process and warm in this one (`warmBase`), and the warm desk's signing time (`warmSign`) against that.
 */
export async function coldSign(file: string, dir: string, warmBase: number, warmSign: number, rounds: number): Promise<void> {
  const env = { CUSTODY_HOME: join(dir, 'cli-desk'), CUSTODY_PASSPHRASE: PASS };
  processRun([BIN, 'init', '--org', 'Bench'], env);
  const code = `const s=(await import('sharp')).default;await s(${JSON.stringify(file)}).jpeg({quality:95}).toBuffer()`;
  let n = 0;
  // CPU seconds of every process (all its threads), beside the wall times interleaved() keeps
  const cpu: Record<'sharp' | 'sign', number[]> = { sharp: [], sign: [] };
  const run = (k: 'sharp' | 'sign', args: string[], e: Record<string, string> = {}) => {
    const r = processRun(args, e);
    if (r.cpu !== null) cpu[k].push(r.cpu);
    return r.wall;
  };
  const t = interleaved(
    {
      sharp: () => run('sharp', ['--input-type=module', '-e', code]),
      sign: () => run('sign', [BIN, 'sign', '--again', file, '--out', join(dir, `cold-${n++}`)], env),
    },
    rounds,
  );
  const cpuOf = (k: 'sharp' | 'sign') => (cpu[k].length ? median(cpu[k].slice(1)).toFixed(3) : 'n/a'); // [0] is the warm-up
  console.log('');
  console.log('| 20 MP JPEG, fresh process (start-up included) | median s | CPU s (all threads) | ratio to sharp decode+encode warm | ratio to sharp in a fresh process |');
  console.log('| --- | --- | --- | --- | --- |');
  console.log(`| sharp decode+encode, fresh process | ${t.sharp!.toFixed(3)} | ${cpuOf('sharp')} | ${(t.sharp! / warmBase).toFixed(2)} | 1.00 |`);
  console.log(`| custody sign, fresh process | ${t.sign!.toFixed(3)} | ${cpuOf('sign')} | ${(t.sign! / warmBase).toFixed(2)} | ${(t.sign! / t.sharp!).toFixed(2)} |`);
  console.log(`| custody sign, warm desk | ${warmSign.toFixed(3)} | | ${(warmSign / warmBase).toFixed(2)} | |`);
  // The floor under the fresh signature: the vault's key derivation alone, at the desk's parameters, on this thread
  const kdf = await keyDerivationSeconds(rounds);
  console.log(`| the vault's key derivation alone (scrypt N=2^${Math.log2(DEFAULT_SCRYPT.N)}, r=${DEFAULT_SCRYPT.r}), in this process | ${kdf.toFixed(3)} | | ${(kdf / warmBase).toFixed(2)} | |`);
  console.log(
    `fresh sign target ≤ 3× decode+encode: ${t.sign! / warmBase <= 3 ? 'met' : 'MISSED'} (${(t.sign! / warmBase).toFixed(2)}× warm sharp, ${(t.sign! / t.sharp!).toFixed(2)}× fresh sharp); ` +
      `warm desk target ≤ 2×: ${warmSign / warmBase <= 2 ? 'met' : 'MISSED'} (${(warmSign / warmBase).toFixed(2)}×)`,
  );
}

/** Median seconds of one key derivation of the vault (deriveKey at its default parameters, core/crypto/vault.ts). */
async function keyDerivationSeconds(rounds: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < Math.max(3, rounds); i++) {
    const t = performance.now();
    await deriveKey('bench passphrase', randomBytes(16), DEFAULT_SCRYPT);
    times.push((performance.now() - t) / 1000);
  }
  return median(times);
}

/**
 * Extraction from an unmarked photo in this process, with the coarse search shared with a pixel worker and on this
 * thread alone, alternated round by round (extract.ts's CoarseShare; the pool is up before the first timed round).
 */
export async function unmarkedExtraction(jpeg: Buffer, rounds: number): Promise<void> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const img = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: info.channels };
  const pool = await pixelPoolStarted();
  const modes = [{ name: 'search shared with a pixel worker', share: true }, { name: 'search on one thread', share: false }] as const;
  const times = modes.map((): number[] => []);
  const cpu = modes.map((): number[] => []);
  for (let i = 0; i <= rounds; i++) {
    for (const [k, mode] of modes.entries()) {
      useCoarseShare(mode.share);
      const c = process.cpuUsage();
      const t = performance.now();
      const r = extractWatermark(img);
      if (r.detected) throw new Error('a watermark was detected in an unmarked photo');
      const used = process.cpuUsage(c);
      // the first round is the warm-up (and the worker's first share loads the extractor there)
      if (i > 0) times[k]!.push((performance.now() - t) / 1000);
      if (i > 0) cpu[k]!.push((used.user + used.system) / 1e6);
    }
  }
  useCoarseShare(true);
  const mp = (info.width * info.height / 1e6).toFixed(1);
  console.log('');
  for (const [k, mode] of modes.entries()) {
    const m = median(times[k]!);
    console.log(
      `watermark extraction from an unmarked ${mp} MP photo, ${mode.name}: median ${ms(m)} (CPU of the process ${ms(median(cpu[k]!))})   ` +
        `target ≤ 100 ms: ${m <= 0.1 ? 'met' : 'MISSED'}`,
    );
  }
  console.log(`shared ÷ one thread: ${(median(times[0]!) / median(times[1]!)).toFixed(2)}× (pixel workers in the pool: ${pool?.size ?? 0})`);
}

/** One `custody` process, as processRun. */
const custodyRun = (args: string[], okStatus = [0]) => processRun([BIN, ...args], {}, okStatus);

/**
 * `custody watermark embed` and `extract` (a marked copy, and the unmarked original: the whole geometry search) per
 * megapixel through the command, `custody --version` subtracted (medians over `rounds`, wall and CPU), against the
 * same file functions warm in this process and the codec alone on decoded pixels (bench:watermark's figure).
 */
export async function watermarkThroughCli(files: { path: string; mp: number }[], dir: string, rounds: number): Promise<void> {
  const payload = '00112233445566778899aabbccddeeff';
  const bytes = Buffer.from(payload, 'hex');
  const kinds = ['embed', 'extract', 'unmarked'] as const;
  type Kind = (typeof kinds)[number];
  const sum = (): Record<Kind, number> => ({ embed: 0, extract: 0, unmarked: 0 });
  const cli = sum();
  const cliCpu = sum();
  const warm = sum();
  const warmCpu = sum();
  const codec = sum();
  let mpTotal = 0;
  let cpuKnown = true;
  const startWall: number[] = [];
  const startCpu: number[] = [];
  for (const f of files) {
    const marked = join(dir, `wm-${f.mp}.jpg`);
    const runs: Record<Kind | 'version', { wall: number; cpu: number | null }[]> = { version: [], embed: [], extract: [], unmarked: [] };
    for (let i = 0; i <= rounds; i++) {
      rmSync(marked, { force: true });
      const one = {
        version: custodyRun(['--version']),
        embed: custodyRun(['watermark', 'embed', f.path, marked, '--payload', payload]),
        extract: custodyRun(['watermark', 'extract', marked]),
        unmarked: custodyRun(['watermark', 'extract', f.path], [1]),
      };
      // the first round warms the file cache and the compile cache
      if (i > 0) for (const k of Object.keys(one) as (keyof typeof one)[]) runs[k].push(one[k]);
    }
    const wallOf = (k: Kind | 'version') => median(runs[k].map((r) => r.wall));
    const cpuOf = (k: Kind | 'version') => (runs[k].every((r) => r.cpu !== null) ? median(runs[k].map((r) => r.cpu!)) : null);
    startWall.push(wallOf('version'));
    const v = cpuOf('version');
    if (v !== null) startCpu.push(v);
    for (const k of kinds) {
      cli[k] += Math.max(0, wallOf(k) - wallOf('version'));
      const c = cpuOf(k);
      if (c === null || v === null) cpuKnown = false;
      else cliCpu[k] += Math.max(0, c - v);
    }
    // the same work in this process, warm: the file functions the command calls, then the codec alone
    const warmOut = join(dir, `wm-warm-${f.mp}.jpg`);
    let lastCpu = 0;
    const time = async (fn: () => Promise<unknown> | unknown): Promise<number> => {
      const c = process.cpuUsage();
      const t = performance.now();
      await fn();
      const used = process.cpuUsage(c);
      lastCpu = (used.user + used.system) / 1e6;
      return (performance.now() - t) / 1000;
    };
    const w: Record<Kind, number[]> = { embed: [], extract: [], unmarked: [] };
    const c: Record<Kind, number[]> = { embed: [], extract: [], unmarked: [] };
    const wc: Record<Kind, number[]> = { embed: [], extract: [], unmarked: [] };
    const raw = async (p: string) => {
      const { data, info } = await sharp(readFileSync(p)).raw().toBuffer({ resolveWithObject: true });
      return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: info.channels };
    };
    const plain = await raw(f.path);
    const withMark = await raw(marked);
    for (let i = 0; i <= rounds; i++) {
      rmSync(warmOut, { force: true });
      const te = await time(() => embedWatermarkFile(f.path, warmOut, bytes));
      const ue = lastCpu;
      const tx = await time(() => extractWatermarkFile(marked));
      const ux = lastCpu;
      const tu = await time(() => extractWatermarkFile(f.path));
      const uu = lastCpu;
      const ce = await time(() => embedWatermark(plain, bytes));
      const cx = await time(() => extractWatermark(withMark));
      const cu = await time(() => extractWatermark(plain));
      if (i === 0) continue;
      w.embed.push(te); w.extract.push(tx); w.unmarked.push(tu);
      wc.embed.push(ue); wc.extract.push(ux); wc.unmarked.push(uu);
      c.embed.push(ce); c.extract.push(cx); c.unmarked.push(cu);
    }
    for (const k of kinds) {
      warm[k] += median(w[k]);
      warmCpu[k] += median(wc[k]);
      codec[k] += median(c[k]);
    }
    mpTotal += f.mp;
  }
  const perMp = (x: Record<Kind, number>) => kinds.map((k) => (x[k] / mpTotal).toFixed(3)).join(' | ');
  console.log('');
  console.log(`| watermark, s/MP over ${files.map((f) => `${f.mp.toFixed(1)}`).join(' + ')} MP JPEGs | embed | extract (marked) | extract (unmarked) |`);
  console.log('| --- | --- | --- | --- |');
  console.log(`| custody watermark …, fresh process, start-up subtracted | ${perMp(cli)} |`);
  if (cpuKnown) console.log(`| the same, CPU time (all threads) | ${perMp(cliCpu)} |`);
  console.log(`| the same file functions in this process, warm | ${perMp(warm)} |`);
  console.log(`| the same, CPU time (all threads) | ${perMp(warmCpu)} |`);
  console.log(`| the codec alone on decoded pixels, warm (bench:watermark) | ${perMp(codec)} |`);
  const worst = Math.max(cli.embed, cli.extract) / mpTotal;
  console.log(
    `start-up subtracted: custody --version, median ${ms(median(startWall))}${startCpu.length ? ` (CPU ${ms(median(startCpu))})` : ''}; ` +
      `target ≤ 0.05 s/MP embed and extract through the command: ${worst <= 0.05 ? 'met' : 'MISSED'} (${worst.toFixed(3)})`,
  );
}
