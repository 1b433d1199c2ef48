// `custody phash` and `custody watermark embed | extract`: the media primitives on their own, without a desk.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { CustodyError } from '../../core/errors.ts';
import { DEFAULT_LIMITS, detectFile, isImageFormat } from '../../core/media/detect.ts';
import { decodeImage, probeImage } from '../../core/media/image.ts';
import { phashHex, phashPixels } from '../../core/media/phash.ts';
import { embedWatermarkFile, extractWatermarkFile, matchWatermarkFile, parsePayload } from '../../core/media/watermark-file.ts';
import { MATCH_PARAMS } from '../../core/media/watermark/match.ts';
import { err, json, out } from '../context.ts';

export function register(program: Command): void {
  program
    .command('phash')
    .description("print a photo's 64-bit perceptual hash (16 hex digits, compatible with Python imagehash.phash)")
    .argument('<file>')
    .action(async (file: string) => {
      const { format } = await detectFile(file, DEFAULT_LIMITS);
      if (!isImageFormat(format)) throw new CustodyError('UNSUPPORTED_FORMAT', `expected a still image, got ${format.toUpperCase()} video`);
      const bytes = readFileSync(file);
      await probeImage(bytes, format);
      const r = await decodeImage(bytes, format);
      out(phashHex(phashPixels(r.data, r.width, r.height, r.channels)));
    });

  const wm = program.command('watermark').description('the invisible watermark on its own');
  wm.command('embed')
    .description('embed a 128-bit payload into an image')
    .argument('<in>')
    .argument('<out>')
    .requiredOption('--payload <hex32>', '32 hex digits')
    .action(async (input: string, output: string, o: { payload: string }) => {
      const payload = parsePayload(o.payload);
      out(await embedWatermarkFile(input, output, payload));
    });
  wm.command('extract')
    .description('print the 32-hex payload of the watermark in an image; exit 1 when none is detected')
    .argument('<in>')
    .option('--json', 'print as JSON')
    .option('--deep', 'search harder when the usual search finds none (a copy squeezed or stretched and cropped; about 0.3 s more)')
    .action(async (input: string, o: { json?: boolean; deep?: boolean }) => {
      const x = await extractWatermarkFile(input, DEFAULT_LIMITS, o.deep ?? false);
      const payload = x.detected && x.payload ? Buffer.from(x.payload).toString('hex') : null;
      if (o.json) json({ detected: x.detected, payload, score: x.score, threshold: x.threshold, checked: x.checked });
      else if (payload) {
        out(payload);
        // a mark found by its sync pattern alone: the payload was read without its CRC-24 and may be wrong in many bits
        if (!x.checked) err('warning: found by its sync pattern only; the payload failed its checksum and may be wrong in many bits');
      } else err(`no watermark detected (score ${x.score.toFixed(2)}, threshold ${x.threshold})${o.deep ? '' : '; --deep also searches copies squeezed or stretched and cropped'}`);
      process.exitCode = payload ? 0 : 1;
    });
  wm.command('match')
    .description(`whether the mark of one of the given payloads is in an image, when it is too faint to read blind (up to ${MATCH_PARAMS.maxCandidates}); print the one matched, exit 1 when none is`)
    .argument('<in>')
    .requiredOption('--payload <hex32...>', '32 hex digits each: the candidate records\' payloads')
    .option('--json', 'print as JSON, with every candidate\'s score')
    .action(async (input: string, o: { payload: string[]; json?: boolean }) => {
      const x = await matchWatermarkFile(input, o.payload.map(parsePayload));
      const payload = x.match ? o.payload[x.match.index]!.toLowerCase() : null;
      if (o.json) json({ matched: payload !== null, payload, score: x.match?.z ?? null, threshold: MATCH_PARAMS.threshold, scores: x.scores, refined: x.refined, mirrored: x.match?.mirrored ?? null });
      else if (payload) out(`${payload} (score ${x.match!.z.toFixed(2)}, threshold ${MATCH_PARAMS.threshold})`);
      else err(`none of the payloads matched (best score ${Math.max(...x.scores).toFixed(2)}, threshold ${MATCH_PARAMS.threshold})`);
      process.exitCode = payload ? 0 : 1;
    });
}
