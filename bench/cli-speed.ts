// The speed people feel, for bench/sign.bench.ts: the `custody` command's start-up (compiled, and from the sources
// as after an edit), a fresh `custody sign` process against sharp's decode+encode (in a fresh process too, and warm
// in this one), and watermark extraction from an unmarked photo (the common case when checking copies found online).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import sharp from 'sharp';
import { extractWatermark } from '../core/media/watermark/codec.ts';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'custody.js');
const PASS = 'bench passphrase';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Wall seconds of one process `node ...args`, from spawn to exit (start-up included). */
function processSeconds(args: string[], env: Record<string, string> = {}): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
  return (performance.now() - t) / 1000;
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
  const t = interleaved(
    {
      node: () => processSeconds(['-e', '0']),
      version: () => processSeconds([BIN, '--version']),
      help: () => processSeconds([BIN, '--help']),
      sources: () => processSeconds([BIN, '--version'], { CUSTODY_CLI: 'sources' }),
    },
    rounds,
  );
  console.log('');
  console.log('| start-up (fresh process) | median |');
  console.log('| --- | --- |');
  console.log(`| node -e 0 (the floor) | ${ms(t.node!)} |`);
  console.log(`| custody --version | ${ms(t.version!)} |`);
  console.log(`| custody --help | ${ms(t.help!)} |`);
  console.log(`| custody --version from the sources (tsx, as after an edit) | ${ms(t.sources!)} |`);
  const worst = Math.max(t.version!, t.help!);
  console.log(`start-up target ≤ 100 ms: ${worst <= 0.1 ? 'met' : 'MISSED'} (${ms(worst)}; node alone ${ms(t.node!)})`);
}

/**
 * A fresh `custody sign` of `file` (start-up, vault unlock, signing, exit) against sharp's decode+encode in a fresh
 * process and warm in this one (`warmBase`), and the warm desk's signing time (`warmSign`) against that.
 */
export async function coldSign(file: string, dir: string, warmBase: number, warmSign: number, rounds: number): Promise<void> {
  const env = { CUSTODY_HOME: join(dir, 'cli-desk'), CUSTODY_PASSPHRASE: PASS };
  processSeconds([BIN, 'init', '--org', 'Bench'], env);
  const code = `const s=(await import('sharp')).default;await s(${JSON.stringify(file)}).jpeg({quality:95}).toBuffer()`;
  let n = 0;
  const t = interleaved(
    {
      sharp: () => processSeconds(['--input-type=module', '-e', code]),
      sign: () => processSeconds([BIN, 'sign', file, '--out', join(dir, `cold-${n++}`)], env),
    },
    rounds,
  );
  console.log('');
  console.log('| 20 MP JPEG, fresh process (start-up included) | median s | ratio to sharp decode+encode warm | ratio to sharp in a fresh process |');
  console.log('| --- | --- | --- | --- |');
  console.log(`| sharp decode+encode, fresh process | ${t.sharp!.toFixed(3)} | ${(t.sharp! / warmBase).toFixed(2)} | 1.00 |`);
  console.log(`| custody sign, fresh process | ${t.sign!.toFixed(3)} | ${(t.sign! / warmBase).toFixed(2)} | ${(t.sign! / t.sharp!).toFixed(2)} |`);
  console.log(`| custody sign, warm desk | ${warmSign.toFixed(3)} | ${(warmSign / warmBase).toFixed(2)} | |`);
  console.log(
    `fresh sign target ≤ 3× decode+encode: ${t.sign! / warmBase <= 3 ? 'met' : 'MISSED'} (${(t.sign! / warmBase).toFixed(2)}× warm sharp, ${(t.sign! / t.sharp!).toFixed(2)}× fresh sharp); ` +
      `warm desk target ≤ 2×: ${warmSign / warmBase <= 2 ? 'met' : 'MISSED'} (${(warmSign / warmBase).toFixed(2)}×)`,
  );
}

export async function unmarkedExtraction(jpeg: Buffer, rounds: number): Promise<void> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const img = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: info.channels };
  const times: number[] = [];
  for (let i = 0; i <= rounds; i++) {
    const t = performance.now();
    const r = extractWatermark(img);
    if (r.detected) throw new Error('a watermark was detected in an unmarked photo');
    if (i > 0) times.push((performance.now() - t) / 1000); // the first is the warm-up
  }
  const m = median(times);
  console.log('');
  console.log(`watermark extraction from an unmarked ${(info.width * info.height / 1e6).toFixed(1)} MP photo, median: ${ms(m)}   target ≤ 100 ms: ${m <= 0.1 ? 'met' : 'MISSED'}`);
}
