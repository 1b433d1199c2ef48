// Video fingerprint benchmark: node bin/run-ts.js bench/video.bench.ts [--fresh] [--rounds=3]
//
// 1. A 60 s 1080p30 H.264 clip (photographs panned, with camera-like grain: ~20 Mbit/s): fingerprinting it against
//    ffmpeg's own full decode (`ffmpeg -i clip -f null -`), interleaved, medians of --rounds. Target: ratio < 1.
//    Also the fingerprint with every picture decoded (exactDecode), to show what skipping non-reference pictures buys.
// 2. A 5-minute 1080p30 clip (the 60 s clip five times, stream-copied): fingerprint time and peak memory, measured
//    in a child process so that the numbers are its own. Target: ≤ 300 MB for node and ffmpeg together.
// Clips are kept in $TMPDIR/custody-video-bench between runs (--fresh regenerates them).
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PassphraseProtector } from '../core/crypto/vault.ts';
import { Desk } from '../core/desk.ts';
import { locateFfmpeg } from '../core/media/video/ffmpeg.ts';
import { fingerprintVideo } from '../core/media/video/fingerprint.ts';
import { thumbArgs } from '../core/media/video/frames.ts';
import { makeSlideshow } from '../test/fixtures/video.ts';

const run = promisify(execFile);
const args = process.argv.slice(2);
const CHILD = args.includes('--child');

/** CPU seconds of this process and of its waited-for children, from /proc/self/stat (Linux). */
function cpuTimes(): { self: number; children: number } | null {
  try {
    const f = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
    // After the command name: state is field 3, utime 14, stime 15, cutime 16, cstime 17 (1-based) → index −3.
    const tick = 100;
    const n = (i: number): number => Number(f[i - 3]) / tick;
    return { self: n(14) + n(15), children: n(16) + n(17) };
  } catch {
    return null;
  }
}

interface Sample {
  wall: number;
  cpu: number | null;
}

async function measure(fn: () => Promise<unknown>): Promise<Sample> {
  const c0 = cpuTimes();
  const t0 = performance.now();
  await fn();
  const wall = (performance.now() - t0) / 1000;
  const c1 = cpuTimes();
  return { wall, cpu: c0 && c1 ? c1.self - c0.self + (c1.children - c0.children) : null };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (s: number): string => `${s.toFixed(2)} s`;

/** Peak resident memory of ffmpeg children of this process and of node + ffmpeg together, polled from /proc. */
function memoryWatch(): { stop: () => { ffmpegPeakMB: number; combinedPeakMB: number } } {
  let ffmpegPeak = 0;
  let combined = 0;
  const kb = (status: string, key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  const poll = (): void => {
    let children = 0;
    for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const m = /^\d+ \((.*)\) \S+ (\d+)/.exec(stat);
        if (!m || m[1] !== 'ffmpeg' || Number(m[2]) !== process.pid) continue;
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        ffmpegPeak = Math.max(ffmpegPeak, kb(status, 'VmHWM'));
        children += kb(status, 'VmRSS');
      } catch {
        // the process ended between listing and reading
      }
    }
    combined = Math.max(combined, children + process.memoryUsage.rss() / 1024);
  };
  const timer = setInterval(poll, 50);
  return {
    stop: () => {
      clearInterval(timer);
      return { ffmpegPeakMB: ffmpegPeak / 1024, combinedPeakMB: combined / 1024 };
    },
  };
}

/** A throw-away desk (real database, vault and C2PA certificate) for timing `custody sign`. */
async function benchDesk(): Promise<Desk> {
  const home = join(mkdtempSync(join(tmpdir(), 'custody-video-bench-')), 'desk');
  return (await Desk.init(home, { org: 'Bench', protector: new PassphraseProtector('bench passphrase for timing', { N: 1 << 10, r: 8, p: 1 }) })).desk;
}

async function child(): Promise<void> {
  const clip = args[args.indexOf('--child') + 1]!;
  const watch = memoryWatch();
  const desk = await benchDesk();
  const s = await measure(() => desk.sign(clip, { actor: desk.bootstrapActor()!, outDir: join(desk.home, '..', 'out') }));
  const mem = watch.stop();
  desk.close();
  const nodePeakMB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ ...s, nodePeakMB, ...mem }));
}

async function main(): Promise<void> {
  const tools = await locateFfmpeg();
  const rounds = Number(/^--rounds=(\d+)$/.exec(args.find((a) => a.startsWith('--rounds=')) ?? '')?.[1] ?? 3);
  const dir = join(tmpdir(), 'custody-video-bench');
  if (args.includes('--fresh')) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const clip60 = join(dir, 'clip60-1080p30-grain7-crf21.mp4');
  const clip300 = join(dir, 'clip300-1080p30.mp4');

  console.log(`ffmpeg: ${tools.ffmpeg} (${tools.versionText}); node ${process.version}; ${rounds} rounds`);
  if (!existsSync(clip60)) {
    const t = performance.now();
    await makeSlideshow(clip60, { width: 1920, height: 1080, fps: 30, seconds: 60, secondsPerPhoto: 4, grain: 7, crf: 21, preset: 'veryfast' });
    console.log(`generated ${clip60} in ${fmt((performance.now() - t) / 1000)}`);
  }
  if (!existsSync(clip300)) {
    const list = join(dir, 'list.txt');
    writeFileSync(list, Array(5).fill(`file '${clip60.replace(/'/g, "'\\''")}'`).join('\n') + '\n');
    await run(tools.ffmpeg, ['-hide_banner', '-v', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', clip300]);
  }
  const mb = (p: string): string => `${(statSync(p).size / 1024 / 1024).toFixed(0)} MB`;
  console.log(`60 s clip: ${mb(clip60)} (~${((statSync(clip60).size * 8) / 60 / 1e6).toFixed(0)} Mbit/s); 5-minute clip: ${mb(clip300)}`);
  console.log(`fingerprint runs: ffmpeg ${thumbArgs(tools, clip60, { sampleRate: 1, streamIndex: 0 }).join(' ')}`);

  const decode: Sample[] = [];
  const fp: Sample[] = [];
  const exact: Sample[] = [];
  const signing: Sample[] = [];
  const desk = await benchDesk();
  for (let r = 0; r < rounds; r++) {
    decode.push(await measure(() => run(tools.ffmpeg, ['-hide_banner', '-v', 'error', '-i', clip60, '-f', 'null', '-'])));
    fp.push(await measure(() => fingerprintVideo(clip60, { tools })));
    exact.push(await measure(() => fingerprintVideo(clip60, { tools, exactDecode: true })));
    signing.push(await measure(() => desk.sign(clip60, { actor: desk.bootstrapActor()!, outDir: join(desk.home, '..', 'out') })));
    console.log(
      `  round ${r + 1}: full decode ${fmt(decode[r]!.wall)}, fingerprint ${fmt(fp[r]!.wall)}, fingerprint (exact decode) ${fmt(exact[r]!.wall)}, custody sign ${fmt(signing[r]!.wall)}`,
    );
  }
  desk.close();
  const line = (label: string, xs: Sample[]): string => {
    const cpu = xs.every((x) => x.cpu !== null) ? `, CPU ${fmt(median(xs.map((x) => x.cpu!)))}` : '';
    return `${label.padEnd(34)} wall ${fmt(median(xs.map((x) => x.wall)))}${cpu}`;
  };
  console.log('\n60 s 1080p30 H.264, medians:');
  console.log(line('ffmpeg -i clip -f null -', decode));
  console.log(line('fingerprintVideo', fp));
  console.log(line('fingerprintVideo, exact decode', exact));
  console.log(line('custody sign (+ SHA-256, C2PA, records)', signing));
  const ratio = median(fp.map((x) => x.wall)) / median(decode.map((x) => x.wall));
  const cpuRatio = fp.every((x) => x.cpu) && decode.every((x) => x.cpu) ? median(fp.map((x) => x.cpu!)) / median(decode.map((x) => x.cpu!)) : null;
  console.log(`ratio fingerprint / full decode: wall ${ratio.toFixed(2)}${cpuRatio ? `, CPU ${cpuRatio.toFixed(2)}` : ''}  (target < 1: ${ratio < 1 ? 'met' : 'MISSED'})`);
  const signRatio = median(signing.map((x) => x.wall)) / median(decode.map((x) => x.wall));
  console.log(`ratio custody sign / full decode: wall ${signRatio.toFixed(2)}  (target < 1: ${signRatio < 1 ? 'met' : 'MISSED'})`);
  const exactRatio = median(exact.map((x) => x.wall)) / median(decode.map((x) => x.wall));
  console.log(`ratio exact-decode fingerprint / full decode: wall ${exactRatio.toFixed(2)}`);

  console.log('\n5-minute 1080p30 clip (child process):');
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn(process.execPath, ['bin/run-ts.js', 'bench/video.bench.ts', '--child', clip300], { stdio: ['ignore', 'pipe', 'inherit'] });
    let s = '';
    p.stdout.on('data', (b: Buffer) => (s += b.toString()));
    p.on('close', (code) => (code === 0 ? resolve(s) : reject(new Error(`child exited ${code}`))));
  });
  const m = JSON.parse(out.trim().split('\n').pop()!) as Sample & { nodePeakMB: number; ffmpegPeakMB: number; combinedPeakMB: number };
  console.log(`custody sign wall ${fmt(m.wall)}${m.cpu !== null ? `, CPU ${fmt(m.cpu)}` : ''}`);
  console.log(
    `peak RSS: node ${m.nodePeakMB.toFixed(0)} MB, ffmpeg ${m.ffmpegPeakMB.toFixed(0)} MB, ` +
      `sampled together ${m.combinedPeakMB.toFixed(0)} MB, sum of peaks ${(m.nodePeakMB + m.ffmpegPeakMB).toFixed(0)} MB ` +
      `(target ≤ 300 MB: ${m.nodePeakMB + m.ffmpegPeakMB <= 300 ? 'met' : 'MISSED'})`,
  );
}

await (CHILD ? child() : main());
