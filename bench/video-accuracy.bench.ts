// Video verification accuracy: node bin/run-ts.js bench/video-accuracy.bench.ts [--quick] [--fresh] [--only=NAME]
//
// Every source clip of test/fixtures/video-suite.ts is signed on a throw-away desk; every transform of it is then
// verified as `custody verify` would. Printed per copy: the verdict, the share of the signed segments traced
// (for a trim, of the segments it kept), and for edits the ranges reported against the truth.
// Targets: 0 false `tampered` (nor `extra`) over the benign copies, ≥ 95 % of segments traced on re-encodes, every
// edit `tampered` and located within one segment (5 s) of the truth.
// Clips are kept in $TMPDIR/custody-video-accuracy between runs (--fresh regenerates them). --quick: the first two
// sources only. --only=NAME: transforms whose name contains NAME.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PassphraseProtector } from '../core/crypto/vault.ts';
import { Desk } from '../core/desk.ts';
import { locateFfmpeg } from '../core/media/video/ffmpeg.ts';
import type { SourceClip, Transform } from '../test/fixtures/video-suite.ts';
import { SOURCES, canMake, judge, makeOther, transformsFor } from '../test/fixtures/video-suite.ts';

const args = process.argv.slice(2);
const only = /^--only=(.+)$/.exec(args.find((a) => a.startsWith('--only=')) ?? '')?.[1];
const dir = join(tmpdir(), 'custody-video-accuracy');
if (args.includes('--fresh')) rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

const slug = (s: string): string => s.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '');

async function cached(path: string, make: (out: string) => Promise<void>): Promise<string> {
  if (!existsSync(path)) {
    const tmp = path.replace(/(\.\w+)$/, '.part$1');
    await make(tmp);
    await promisify(execFile)('mv', [tmp, path]);
  }
  return path;
}

interface Row {
  source: string;
  transform: Transform;
  report: Awaited<ReturnType<Desk['verify']>>;
  traced: number;
  ok: boolean;
  note: string;
}

async function main(): Promise<void> {
  const tools = await locateFfmpeg();
  const encoders = (await promisify(execFile)(tools.ffmpeg, ['-hide_banner', '-encoders'], { maxBuffer: 8 << 20 })).stdout;
  const sources = args.includes('--quick') ? SOURCES.slice(0, 2) : SOURCES;
  console.log(`ffmpeg: ${tools.versionText}; clips in ${dir}`);
  const rows: Row[] = [];
  const t0 = performance.now();
  for (const src of sources) await runSource(src, encoders, rows);
  const seconds = ((performance.now() - t0) / 1000).toFixed(0);

  const benign = rows.filter((r) => r.transform.kind !== 'edit');
  const falseTampered = benign.filter((r) => r.report.verdict === 'tampered').length;
  const extras = benign.filter((r) => (r.report.changedRanges ?? []).some((g) => g.status === 'extra')).length;
  const reenc = rows.filter((r) => r.transform.kind === 'reencode');
  const minTraced = Math.min(...reenc.map((r) => r.traced));
  const meanTraced = reenc.reduce((a, r) => a + r.traced, 0) / Math.max(1, reenc.length);
  const edits = rows.filter((r) => r.transform.kind === 'edit');
  const located = edits.filter((r) => r.ok).length;
  console.log(`\n${rows.length} copies of ${sources.length} sources in ${seconds} s`);
  console.log(`benign copies: ${benign.length}, false tampered ${falseTampered}, with extra footage ${extras} (target 0: ${falseTampered + extras === 0 ? 'met' : 'MISSED'})`);
  console.log(`re-encodes: segments traced min ${(minTraced * 100).toFixed(1)} %, mean ${(meanTraced * 100).toFixed(1)} % (target ≥ 95 %: ${minTraced >= 0.95 ? 'met' : 'MISSED'})`);
  console.log(`trims judged right: ${benign.filter((r) => r.transform.kind === 'trim' && r.ok).length} of ${benign.filter((r) => r.transform.kind === 'trim').length}`);
  console.log(`edits tampered and located within one segment: ${located} of ${edits.length} (target all: ${located === edits.length ? 'met' : 'MISSED'})`);
  const failed = rows.filter((r) => !r.ok);
  if (failed.length) console.log(`not met: ${failed.map((r) => `${r.source} / ${r.transform.name}`).join('; ')}`);
}

async function runSource(src: SourceClip, encoders: string, rows: Row[]): Promise<void> {
  const transforms = transformsFor(src).filter((t) => (!only || t.name.includes(only)) && canMake(t, encoders));
  if (transforms.length === 0) return;
  const tag = `${src.name}-${src.width}x${src.height}-${src.fps}-${src.seconds}`;
  const t0 = performance.now();
  const srcPath = await cached(join(dir, `${tag}.mp4`), (o) => src.make(o));
  const other = await cached(join(dir, `other-${src.width}x${src.height}-${src.fps}.mp4`), (o) => makeOther(o, src));
  const home = join(mkdtempSync(join(tmpdir(), 'custody-video-accuracy-desk-')), 'desk');
  const { desk } = await Desk.init(home, { org: 'Bench', protector: new PassphraseProtector('bench', { N: 1 << 10, r: 8, p: 1 }) });
  try {
    const signed = await desk.sign(srcPath, { actor: desk.bootstrapActor()!, outDir: join(home, '..', 'out') }) // beside the desk: never inside its data folder;
    console.log(`\n${src.name} (${src.width}×${src.height}, ${src.fps} fps, ${src.seconds} s): ${signed.video?.segments} segments, ready in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    console.log(`  ${'copy'.padEnd(28)} ${'verdict'.padEnd(9)} ${'traced'.padStart(7)}  ok   ranges`);
    for (const t of transforms) {
      const copy = await cached(join(dir, `${tag}--${slug(t.name)}.${t.ext}`), (o) => t.make(srcPath, o, { src, other }));
      const report = await desk.verify(copy);
      const { ok, traced, note } = judge(t, report);
      rows.push({ source: src.name, transform: t, report, traced, ok, note });
      const tracedText = t.kind === 'edit' ? '' : `${(traced * 100).toFixed(0)} %`;
      console.log(`  ${t.name.padEnd(28)} ${report.verdict.padEnd(9)} ${tracedText.padStart(7)}  ${ok ? 'yes' : 'NO '}  ${note}`);
    }
  } finally {
    desk.close();
    rmSync(join(home, '..'), { recursive: true, force: true });
  }
}

await main();
