// Watermark benchmark: the attack suite (bench/watermark-attacks.ts: JPEG, WebP, rescaling, screenshots, crops,
// colour, noise, blur, rotation, and issue 23's harder transforms) over real photographs.
//   node bin/run-ts.js bench/watermark.bench.ts [--quick] [--payloads=N] [--attacks=jpeg50,crop10] [--photos=camera.png,...]
//     [--unmarked=N] [--verbose] [--geometry] [--list=N] [--deep] [--long-side=N] [--match=N] [--decoys=K] [--scores=FILE]
// --quick: the skimage images only (no 12–20 MP derived photos). Prints, per attack, the share of photographs whose
// payload came back within Hamming 6 (the BENCHMARKS.md criterion), split into the photos the codec was tuned on and
// the held-out ones, the mean bit accuracy and how often the codec itself reported a detection; beside it, the same
// for the skimage images that are graphics rather than photographs (GRAPHICS: the targets are set on photographs);
// then issue 23's harder transforms (HARD_ATTACKS: reshares, heavy crops, rotation, mirroring, aspect changes and
// chains of them) the same way; the false positives over the unmarked photos and --unmarked=N (default 53) generated
// crops/rotations/mirrors/aspect changes/re-encodes of each skimage image (over 1,000 in all); then quality (PSNR,
// SSIM) and speed (seconds per megapixel, embed and extract, after a warm-up), each against the issue's target.
// --geometry: each copy of issue 23's transforms is also read at the map its attack applied (attackGeometry, no
// search), printed as the 'at map' column: a row that reads there and not through extractWatermark is the search's
// miss, one that reads in neither lacks the mark. --list=N: paths list-decoded per reading under the sync score that
// proves a mark (EXTRACT_PARAMS.list; 1 = the maximum-likelihood path only, as before list decoding). --deep: every
// extraction asks for the deep search (extract.ts, deepSearch), as `custody watermark extract --deep` does.
// --long-side=N: every photo resized to N pixels on its long side before it is marked (how a row depends on size).
// --match=N: what a verifier with candidate records sees (match.ts, matchWatermark, as `custody verify` tries the
// records whose picture looks like the copy): each copy the blind extraction missed is matched against N payloads,
// its own among N − 1 decoys, and counts in the 'matched' column when its own is the one matched (a decoy matched
// instead names the wrong record, and is counted apart); every unmarked image is matched against N decoys (--decoys=K:
// K, in calls of N), and any match is a false one. The decoys' scores are summed up by their tail: the highest, how
// many reach 7 and 7.5, and the chance of the threshold by an exponential fitted to the top 1 % (each score is a
// maximum over offsets and geometries: the refined ones, or the coarse ones where no pair reached the matching's
// refineFloor; --scores=FILE writes them all). The 'verify' column is what `custody verify`
// finds with the photo's record on the desk: read blind, or, where the copy still looks like the marked photo (pHash
// within 26 bits), matched, or read by the deep search verify then runs on its own (image-signals.ts,
// searchWatermark).

import { writeFileSync } from 'node:fs';
import { ATTACKS, GRAPHICS, HARD_ATTACKS, atLongSide, attack, attackGeometry, largePhotos, psnr, skimagePhotos, ssim, unmarkedVariant, type Attack, type BenchPhoto } from './watermark-attacks.ts';
import { embedWatermark, extractWatermark, type Raster } from '../core/media/watermark/codec.ts';
import { mulberry32 } from '../core/media/watermark/prng.ts';
import { EXTRACT_PARAMS, extractAt, listStats } from '../core/media/watermark/extract.ts';
import { pixelPoolStarted } from '../core/media/pixel-pool.ts';
import { MATCH_PARAMS, matchWatermark } from '../core/media/watermark/match.ts';
import { hammingHex } from '../core/media/hash.ts';
import { phashHex, phashPixels } from '../core/media/phash.ts';
import { PHASH_COPIED_WATERMARK } from '../core/provenance/checks.ts';

const phashOf = (img: Raster): string => phashHex(phashPixels(img.data, img.width, img.height, img.channels));

/**
 * Photos the parameters were tuned on; every other photo is held out. The lattice search (issue 23) was developed
 * on camera, coffee, rocket and grass.
 */
export const TUNING_SET = new Set(['astronaut.png', 'camera.png', 'chelsea.png', 'coffee.png', 'rocket.jpg', 'gravel.png', 'moon.png', 'grass.png']);
/** Detection targets on photographs (issue 3): 95 % after every attack, 75 % after the stretch ones. */
const STRETCH = new Set<string>(['crop25', 'rotate2']);
// issue 23's transforms: ≥ 95 % each, like the rest
const targetRate = (a: string): number => (STRETCH.has(a) ? 0.75 : 0.95);
const TARGET = { psnrMean: 40, psnrMin: 38, ssimMean: 0.98, sPerMP: 0.05 };

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const opt = (k: string): string | undefined => args.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3);
const attacks = (opt('attacks')?.split(',') as Attack[] | undefined) ?? [...ATTACKS, ...HARD_ATTACKS];
/** generated unmarked variants per skimage image, for the false-positive count */
const variants = Number(opt('unmarked') ?? 53);
const only = opt('photos')?.split(',');
const verbose = args.includes('--verbose');
const atGeometry = args.includes('--geometry');
/** payloads embedded per photo (each attacked on its own): a photo near the margin shows as a rate, not a coin toss */
const payloads = Math.max(1, Number(opt('payloads') ?? 1));
if (opt('list')) EXTRACT_PARAMS.list = Number(opt('list'));
const deep = args.includes('--deep');
/** --long-side=N: each photo resized (Lanczos) to N pixels on its long side before it is marked (the false positives keep their sizes) */
const longSide = Number(opt('long-side') ?? 0);
/** --match=N: candidate payloads a copy the blind extraction missed is matched against (its own among decoys) */
const matchN = Math.min(MATCH_PARAMS.maxCandidates, Number(opt('match') ?? 0));
/** --scores=FILE: every decoy score written there as JSON ({ unmarked, marked }), for a closer look at the tail */
const scoresFile = opt('scores');
/** --decoys=K: decoy payloads each unmarked image is matched against, in calls of matchN (default matchN) */
const decoysN = Math.max(matchN, Number(opt('decoys') ?? matchN));

// Extraction shares its geometry search with a pixel worker, as in a desk or a hub whose pool is up (extract.ts);
// CUSTODY_PIXEL_WORKERS=0 measures the search on one thread (the same readings: the hits do not depend on it).
const pool = await pixelPoolStarted();
console.log(`pixel workers sharing the extractor's search: ${pool?.size ?? 0}`);
console.log(
  EXTRACT_PARAMS.list > 1
    ? `list decoding: ${EXTRACT_PARAMS.list} paths per reading from sync score ${EXTRACT_PARAMS.listFloor}, ${Math.max(EXTRACT_PARAMS.list, EXTRACT_PARAMS.listProven)} from ${EXTRACT_PARAMS.threshold}`
    : 'list decoding: off',
);
console.log(deep ? 'deep search: on (what the quick search misses is searched again over the aspect-and-crop plane, as `--deep` asks)' : 'deep search: off (--deep: as `custody watermark extract --deep`)');

let photos: BenchPhoto[] = await skimagePhotos();
if (!quick) photos = photos.concat(largePhotos());
if (only) photos = photos.filter((p) => only.includes(p.name));

function hamming(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) for (let x = a[i]! ^ b[i]!; x; x &= x - 1) d++;
  return d;
}

interface Tally { hit: number; n: number; acc: number; reported: number; score: number; ms: number[]; atMap: number; matched: number; verified: number }
const tally = (): Tally => ({ hit: 0, n: 0, acc: 0, reported: 0, score: 0, ms: [], atMap: 0, matched: 0, verified: 0 });
interface Row { photo: Tally; tuned: Tally; held: Tally; graphic: Tally }
const rows = new Map<string, Row>();
const row = (k: string): Row => {
  let r = rows.get(k);
  if (!r) rows.set(k, (r = { photo: tally(), tuned: tally(), held: tally(), graphic: tally() }));
  return r;
};
const quality: { name: string; kind: BenchPhoto['kind']; psnr: number; ssim: number }[] = [];
let embedS = 0, embedMP = 0, extractS = 0, extractMP = 0;
let bigEmbedS = 0, bigEmbedMP = 0, bigExtractS = 0, bigExtractMP = 0, smallN = 0;
/** [seconds, megapixels] of each extraction from an unmarked image: nothing to find, so the whole geometry search */
const unmarkedS: [number, number][] = [];
const rand = mulberry32(20261121);
const decoyRand = mulberry32(20261205);
const decoy = (): Uint8Array => new Uint8Array(16).map(() => Math.floor(decoyRand() * 256));
/**
 * matchWatermark over unmarked images (--match): images matched, false matches, every decoy's score, the times of the
 * first call (matchN candidates, as verify makes it)
 */
const matchNull = { n: 0, false: [] as string[], scores: [] as number[], ms: [] as number[] };
/** marked copies the blind extraction missed, matched to a decoy rather than their own payload: the wrong record named */
const wrongRecord: string[] = [];
/** the decoys' scores on those marked copies (a record whose picture looks like another's: a burst's frames) */
const markedDecoyScores: number[] = [];
/** whether a copy matched against `payload` hidden among decoys matched its own */
function matchedOwn(input: Raster, payload: Uint8Array, label: string): boolean {
  const at = Math.floor(decoyRand() * matchN);
  const r = matchWatermark(input, Array.from({ length: matchN }, (_, i) => (i === at ? payload : decoy())));
  r.scores.forEach((z, i) => i !== at && markedDecoyScores.push(z));
  if (r.match && r.match.index !== at) wrongRecord.push(`${label}: decoy score ${r.match.z.toFixed(1)}, own ${r.scores[at]!.toFixed(1)}`);
  return r.match?.index === at;
}
/** an unmarked image matched against decoys only (decoysN of them, matchN at a time): any match is false */
function matchUnmarked(input: Raster, label: string): void {
  matchNull.n++;
  for (let done = 0; done < decoysN; done += matchN) {
    const t = performance.now();
    const r = matchWatermark(input, Array.from({ length: Math.min(matchN, decoysN - done) }, decoy));
    if (done === 0) matchNull.ms.push(performance.now() - t);
    matchNull.scores.push(...r.scores);
    if (r.match) matchNull.false.push(`${label}: score ${r.match.z.toFixed(1)}`);
  }
}
/**
 * The tail of decoy scores: the highest, how many reach 7 and 7.5, and one decoy's chance of the threshold by a
 * peaks-over-threshold fit: an exponential fitted (by its mean) to the excesses over the 99th percentile, the tail a
 * maximum's distribution has (each score is a maximum over offsets and geometries). A Gumbel fitted to all the
 * scores by their moments put the chance of 8 at 4.4e-4, and with it 31 scores of 24,624 at 7.5 or more where there
 * were none: the images' different noise levels widen the whole distribution more than its tail.
 */
function decoyTail(z: readonly number[]): string {
  // a fit needs 20 excesses at least: under 2,000 scores only what was seen is told
  if (z.length < 2000) return `${z.length} scores, highest ${z.length ? Math.max(...z).toFixed(2) : '-'}, ≥ 7: ${z.filter((x) => x >= 7).length}`;
  const sorted = [...z].sort((a, b) => a - b);
  const u = sorted[Math.floor(0.99 * sorted.length)]!;
  const over = sorted.filter((x) => x > u);
  const sigma = over.reduce((a, x) => a + (x - u), 0) / over.length;
  const p = (over.length / z.length) * Math.exp(-(MATCH_PARAMS.threshold - u) / sigma);
  return `${z.length} scores, highest ${sorted.at(-1)!.toFixed(2)}, ≥ 7: ${z.filter((x) => x >= 7).length}, ≥ 7.5: ${z.filter((x) => x >= 7.5).length}; ` +
    `the ${over.length} over the 99th percentile (${u.toFixed(2)}) fall off by e every ${sigma.toFixed(3)}, which gives one decoy ${p.toExponential(1)} of reaching ${MATCH_PARAMS.threshold}`;
}

/** CRC-24 chances taken on unmarked images (each passes by chance once in 2^24): decodes, list paths, list-decoded images */
const chances = { images: 0, decodes: 0, paths: 0, listed: 0 };
/** marked copies read by a list path past the maximum-likelihood one, and how many of those readings were > 6 bits off */
const listHits = { n: 0, wrong: 0 };
function countChances(before: { decodes: number; paths: number }): void {
  chances.images++;
  chances.decodes += listStats.decodes - before.decodes;
  chances.paths += listStats.paths - before.paths;
  if (listStats.paths > before.paths) chances.listed++;
}

// warm-up (not timed): a signing desk is a long-lived process, so the speed figures are the JIT-compiled codec's;
// a cold first call costs about 0.1–0.2 s more
{
  const wr = mulberry32(7);
  const w = 640, h = 480;
  const data = new Uint8Array(w * h * 3).map(() => 64 + Math.floor(wr() * 128));
  for (let i = 0; i < 3; i++) extractWatermark(embedWatermark({ data, width: w, height: h, channels: 3 }, new Uint8Array(16).fill(i)));
}

const t0 = performance.now();
for (const p of photos) {
  const img: Raster = longSide ? await atLongSide(await p.load(), longSide) : await p.load();
  const mp = (img.width * img.height) / 1e6;
  const big = mp >= 4;
  const groups = p.kind === 'graphic' ? ['graphic'] as const : (['photo', TUNING_SET.has(p.name) ? 'tuned' : 'held'] as const);
  for (let k = 0; k < payloads; k++) {
    const payload = new Uint8Array(16).map(() => Math.floor(rand() * 256));
    let t = performance.now();
    const marked = embedWatermark(img, payload);
    const te = (performance.now() - t) / 1000;
    embedS += te; embedMP += mp;
    if (big) { bigEmbedS += te; bigEmbedMP += mp; } else smallN++;
    quality.push({ name: p.name, kind: p.kind, psnr: psnr(img, marked), ssim: ssim(img, marked) });

    const line: string[] = [];
    // the unmarked original is looked at once per photo, whatever the number of payloads
    for (const a of k === 0 ? ['unmarked', ...attacks] as const : attacks) {
      const input = a === 'unmarked' ? img : await attack(marked, a, 1 + quality.length);
      const amp = (input.width * input.height) / 1e6;
      const seen = { ...listStats };
      t = performance.now();
      const r = extractWatermark(input, { deep });
      const tx = (performance.now() - t) / 1000;
      if (a === 'unmarked') countChances(seen);
      else if (listStats.hits > seen.hits) {
        listHits.n++;
        if (r.payload && hamming(r.payload, payload) > 6) listHits.wrong++;
      }
      extractS += tx; extractMP += amp;
      if (big) { bigExtractS += tx; bigExtractMP += amp; }
      if (a === 'unmarked') unmarkedS.push([tx, amp]);
      const h = a === 'unmarked' ? 128 : r.payload ? hamming(r.payload, payload) : 128;
      // read at the map the attack applied (not timed): the ceiling the search could reach
      const known = atGeometry && a !== 'unmarked' && (HARD_ATTACKS as readonly string[]).includes(a) ? extractAt(input, attackGeometry(a, img.width, img.height)) : null;
      const hKnown = known?.payload ? hamming(known.payload, payload) : 128;
      // what a verifier holding candidate records finds where the blind extraction found nothing
      let matched = h <= 6;
      if (matchN && a === 'unmarked') matchUnmarked(input, p.name);
      else if (matchN && !matched) matched = matchedOwn(input, payload, `${p.name} #${k + 1} ${a}`);
      // what verify finds with this photo's record on the desk: the matching and its own deep search need the copy to
      // look like the record
      let verified = h <= 6;
      if (matchN && a !== 'unmarked' && !verified && hammingHex(phashOf(marked), phashOf(input)) <= PHASH_COPIED_WATERMARK) {
        const d = matched || deep ? null : extractWatermark(input, { deep: true });
        verified = matched || (d?.payload ? hamming(d.payload, payload) <= 6 : false);
      }
      for (const g of groups) {
        const s = row(a)[g];
        s.n++;
        s.score += r.score;
        s.ms.push(tx * 1000);
        if (r.detected) s.reported++;
        s.acc += r.payload ? 1 - h / 128 : 0.5;
        if (h <= 6) s.hit++;
        if (hKnown <= 6) s.atMap++;
        if (matched && a !== 'unmarked') s.matched++;
        if (verified) s.verified++;
      }
      if (a !== 'unmarked') line.push(`${a}:${h <= 6 ? 'ok' : r.detected ? `h${h}` : '--'}(${r.score.toFixed(1)})${known ? `[at map ${hKnown <= 6 ? 'ok' : '--'}(${known.score.toFixed(1)})]` : ''}`);
    }
    const q = quality[quality.length - 1]!;
    console.error(`${p.name}${p.kind === 'graphic' ? ' [graphic]' : ''}${payloads > 1 ? ` #${k + 1}` : ''} ${img.width}×${img.height} psnr ${q.psnr.toFixed(2)} ssim ${q.ssim.toFixed(4)} embed ${te.toFixed(2)}s` + (verbose ? `\n  ${line.join(' ')}` : ''));
  }
}

// false positives: generated crops, rotations, mirrors, aspect changes and re-encodes of the unmarked skimage images
const variantStats = { n: 0, fp: 0, max: 0, ms: [] as number[], fps: [] as string[] };
if (variants > 0 && !only?.length) {
  for (const p of await skimagePhotos()) {
    const img = await p.load();
    for (let i = 0; i < variants; i++) {
      const v = await unmarkedVariant(img, i, 23);
      const seen = { ...listStats };
      const t = performance.now();
      const r = extractWatermark(v.img, { deep });
      variantStats.ms.push(performance.now() - t);
      if (matchN) matchUnmarked(v.img, `${p.name} ${v.name}`);
      countChances(seen);
      variantStats.n++;
      variantStats.max = Math.max(variantStats.max, r.score);
      if (r.detected) {
        variantStats.fp++;
        variantStats.fps.push(`${p.name} ${v.name}: score ${r.score.toFixed(1)}`);
      }
    }
    console.error(`unmarked variants of ${p.name}: ${variantStats.n} so far, ${variantStats.fp} false positives, max score ${variantStats.max.toFixed(1)}`);
  }
}

const pct = (a: number, b: number): string => (b ? `${((100 * a) / b).toFixed(0)}%` : '-').padStart(5);
const frac = (s: Tally): string => `${s.hit}/${s.n}`;
const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
const nPhoto = photos.filter((p) => p.kind === 'photo').length;
const perPhoto = payloads > 1 ? ` × ${payloads} payloads each (rates count photo-payload pairs)` : '';
const nTuned = photos.filter((p) => p.kind === 'photo' && TUNING_SET.has(p.name)).length;
const graphics = photos.filter((p) => p.kind === 'graphic').map((p) => p.name);
console.log(
  `\nwatermark benchmark: ${nPhoto} photographs (${nTuned} tuned on, ${nPhoto - nTuned} held out) + ${graphics.length} graphics` +
    `${quick ? ', --quick' : ''}${longSide ? `, each resized to ${longSide} px on its long side before marking` : ''}${perPhoto}; 128-bit payloads, detected = Hamming ≤ 6; targets on photographs`,
);
if (graphics.length) console.log(`graphics (reported, not targeted): ${graphics.map((g) => `${g} (${GRAPHICS.get(g)})`).join(', ')}`);
console.log(
  `${'attack'.padEnd(13)} ${'photographs'.padStart(12)} ${'tuned'.padStart(6)} ${'held-out'.padStart(8)} ${'bit acc'.padStart(8)} ` +
    `${'reported'.padStart(9)} ${'mean score'.padStart(10)} ${'ms'.padStart(5)} ${'graphics'.padStart(9)}   target`,
);
const median = (x: number[]): number => [...x].sort((a, b) => a - b)[x.length >> 1] ?? 0;
let hardHeader = false;
for (const [a, r] of rows) {
  if (a === 'unmarked') continue;
  const hard = (HARD_ATTACKS as readonly string[]).includes(a);
  if (!hardHeader && hard && (hardHeader = true)) {
    console.log(
      `issue 23: reshares, heavy crops, rotation, mirroring, aspect changes, chains (ms: median extraction time${atGeometry ? '; at map: photographs read at the map the attack applied, no search' : ''}` +
        `${matchN ? `; matched: photographs read blind or, where not, matched against ${matchN} candidate payloads, their own among decoys; verify: read blind, or, where the copy looks like the photo, matched or read by the deep search verify runs on its own` : ''})`,
    );
  }
  const s = r.photo;
  const target = s.n ? `≥${targetRate(a) * 100}% ${verdict(s.hit / s.n >= targetRate(a))}` : '';
  console.log(
    `${a.padEnd(13)} ${frac(s).padStart(6)} ${pct(s.hit, s.n)}  ${pct(r.tuned.hit, r.tuned.n)} ${pct(r.held.hit, r.held.n).padStart(8)} ` +
      `${(s.n ? s.acc / s.n : 0).toFixed(4).padStart(8)} ${`${s.reported}/${s.n}`.padStart(9)} ${(s.n ? s.score / s.n : 0).toFixed(1).padStart(10)} ` +
      `${median([...s.ms, ...r.graphic.ms]).toFixed(0).padStart(5)} ` +
      `${frac(r.graphic).padStart(9)}   ${target}` +
      (atGeometry && hard ? `   at map ${s.atMap}/${s.n}` : '') +
      (matchN ? `   matched ${s.matched}/${s.n}   verify ${s.verified}/${s.n}` : ''),
  );
}
const u = rows.get('unmarked')!;
const fp = u.photo.reported + u.graphic.reported;
console.log(`${'unmarked'.padEnd(13)} false positives ${fp}/${u.photo.n + u.graphic.n} (mean score ${((u.photo.score + u.graphic.score) / (u.photo.n + u.graphic.n)).toFixed(1)})   target 0 ${verdict(fp === 0)}`);
if (variantStats.n) {
  const all = fp + variantStats.fp;
  const n = u.photo.n + u.graphic.n + variantStats.n;
  console.log(
    `${'unmarked+gen'.padEnd(13)} false positives ${all}/${n} (the photos and ${variantStats.n} generated variants of the skimage images; max score ${variantStats.max.toFixed(1)}, ` +
      `threshold 7; median ${median(variantStats.ms).toFixed(0)} ms)   target 0 ${verdict(all === 0)}` +
      (variantStats.fps.length ? `\n  ${variantStats.fps.join('\n  ')}` : ''),
  );
}
if (matchN) {
  console.log(
    `${'matching'.padEnd(13)} false matches ${matchNull.false.length}/${matchNull.n} unmarked images against ${decoysN} decoy payloads each ` +
      `(threshold ${MATCH_PARAMS.threshold}; median ${median(matchNull.ms).toFixed(0)} ms for ${matchN})   target 0 ${verdict(matchNull.false.length === 0)}` +
      (matchNull.false.length ? `\n  ${matchNull.false.join('\n  ')}` : ''),
  );
  console.log(`${''.padEnd(13)} decoys on unmarked images: ${decoyTail(matchNull.scores)}`);
  console.log(
    `${'wrong record'.padEnd(13)} marked copies matched to a decoy: ${wrongRecord.length} (decoys on the marked copies blind extraction missed: ${decoyTail(markedDecoyScores)})   target 0 ${verdict(wrongRecord.length === 0)}` +
      (wrongRecord.length ? `\n  ${wrongRecord.join('\n  ')}` : ''),
  );
}
if (scoresFile) writeFileSync(scoresFile, JSON.stringify({ unmarked: matchNull.scores, marked: markedDecoyScores }));
console.log(`${'list hits'.padEnd(13)} marked copies read by list decoding: ${listHits.n}, of them more than 6 bits off: ${listHits.wrong}`);
if (chances.images) {
  const per = (chances.decodes + chances.paths) / chances.images;
  console.log(
    `${'CRC chances'.padEnd(13)} per unmarked image: ${(chances.decodes / chances.images).toFixed(1)} decodes + ${(chances.paths / chances.images).toFixed(1)} list paths ` +
      `(${chances.listed}/${chances.images} images list-decoded); expected false positives by chance ${(per / 2 ** 24).toExponential(1)} per image`,
  );
}

const mean = (x: number[]): number => x.reduce((a, b) => a + b, 0) / x.length;
function qualityLine(label: string, qs: typeof quality, judge: boolean): void {
  if (!qs.length) return;
  const ps = qs.map((q) => q.psnr);
  const ss = qs.map((q) => q.ssim);
  const at = (x: number[]): string => qs[x.indexOf(Math.min(...x))]!.name;
  const ok = mean(ps) >= TARGET.psnrMean && Math.min(...ps) >= TARGET.psnrMin && mean(ss) >= TARGET.ssimMean;
  console.log(
    `quality, ${label}: PSNR mean ${mean(ps).toFixed(2)} dB, min ${Math.min(...ps).toFixed(2)} dB (${at(ps)}); ` +
      `SSIM mean ${mean(ss).toFixed(4)}, min ${Math.min(...ss).toFixed(4)} (${at(ss)})` +
      (judge ? `   target PSNR ≥ ${TARGET.psnrMean} mean, ≥ ${TARGET.psnrMin} each, SSIM ≥ ${TARGET.ssimMean} mean: ${verdict(ok)}` : ''),
  );
}
qualityLine('photographs', quality.filter((q) => q.kind === 'photo'), true);
qualityLine('graphics', quality.filter((q) => q.kind === 'graphic'), false);
const speedOk = embedS / embedMP <= TARGET.sPerMP && extractS / extractMP <= TARGET.sPerMP;
console.log(
  `speed, all images: embed ${(embedS / embedMP).toFixed(3)} s/MP, extract ${(extractS / extractMP).toFixed(3)} s/MP ` +
    `(${embedMP.toFixed(1)} MP embedded)   target ≤ ${TARGET.sPerMP} s/MP each: ${verdict(speedOk)}`,
);
if (bigEmbedMP) console.log(`speed, images ≥ 4 MP: embed ${(bigEmbedS / bigEmbedMP).toFixed(3)} s/MP, extract ${(bigExtractS / bigExtractMP).toFixed(3)} s/MP`);
// the working grid is at least 512 px on its short side, so an image under ~1 MP costs about as much as a 1 MP one
if (embedMP > bigEmbedMP) {
  console.log(
    `speed, images < 4 MP: embed ${((embedS - bigEmbedS) / (embedMP - bigEmbedMP)).toFixed(3)} s/MP, extract ${((extractS - bigExtractS) / (extractMP - bigExtractMP)).toFixed(3)} s/MP ` +
      `(${(((embedS - bigEmbedS) / smallN) * 1000).toFixed(0)} ms per embed: the 512-px working grid's fixed cost)`,
  );
}
if (unmarkedS.length) {
  const med = (x: number[]): number => x.sort((a, b) => a - b)[x.length >> 1]!;
  const small = unmarkedS.filter(([, mp]) => mp < 4).map(([t]) => t);
  const large = unmarkedS.filter(([, mp]) => mp >= 4).map(([t]) => t);
  console.log(
    `extract from an unmarked image (nothing found: the whole geometry search), median: ${small.length ? `${(med(small) * 1000).toFixed(0)} ms under 4 MP` : ''}` +
      `${small.length && large.length ? ', ' : ''}${large.length ? `${(med(large) * 1000).toFixed(0)} ms at 12–20 MP` : ''}`,
  );
}
console.log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
