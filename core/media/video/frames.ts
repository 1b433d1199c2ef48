// Frames streamed out of ffmpeg already reduced to 32×32 gray (the pHash input), at a fixed sampling rate.
//
// Which picture is frame j: the filter chain `setpts=PTS-STARTPTS,fps=R:round=up` puts on output slot j the last
// decoded picture whose timestamp is ≤ j/R seconds after the first frame, i.e. the picture on screen at j/R
// (round=up; the default round=near would take the last picture before (j + 0.5)/R). With `exactDecode` that is
// exactly the picture at j/R (test/video.test.ts checks it against frames selected by number).
//
// Decoding speed: by default the decoder skips non-reference pictures (`-skip_frame noref`). Nothing is predicted
// from them, so every picture that is decoded is bit-exact; when the picture on screen at j/R was a skipped one,
// slot j holds the reference picture before it (at most one B-frame run, ~0.03–0.1 s, earlier). Measured CPU
// against decoding everything: −28 % on a 20 Mbit/s 1080p30 x264 clip, −41 % on a cleaner one, 0 on streams
// without B-frames (phones' hardware encoders) or where the decoder ignores it (VP9, AV1). The cost: pHashes move
// 0.5 bit on average (max 10 on a fast pan), and when a scene cut lands exactly on a sampled instant and the
// cut's first picture is a non-reference B-frame, the sample is the last picture of the previous scene. The same
// file always gives the same fingerprint, but two encodes of one video can then disagree on that sample by a whole
// scene; verification therefore oversamples the candidate (fingerprint.ts `oversample`, compare.ts).
// Alternatives measured: `-skip_loop_filter all` saves 8–19 % but drifts reference pictures (up to 14 bits on a
// 250-frame GOP); `-skip_loop_filter noref`/`bidir` are exact or nearly but save ≤ 5 %; `-flags2 fast` nothing.
import { spawn } from 'node:child_process';
import { CustodyError } from '../../errors.ts';
import type { FfmpegTools } from './ffmpeg.ts';
import { StderrTail, hasFpsMode, lastErrorLine } from './ffmpeg.ts';

export const THUMB_SIZE = 32;
export const THUMB_BYTES = THUMB_SIZE * THUMB_SIZE;

/** DESIGN "Sign (video)": ≤ 5 min: 1 fps, ≤ 30 min: 0.5, ≤ 2 h: 0.2, else 0.1. */
export function sampleRateFor(durationSec: number): number {
  if (!(durationSec >= 0)) throw new CustodyError('INVALID_ARGUMENT', `expected a duration ≥ 0 s, got ${durationSec}`);
  if (durationSec <= 5 * 60) return 1;
  if (durationSec <= 30 * 60) return 0.5;
  if (durationSec <= 2 * 3600) return 0.2;
  return 0.1;
}

/** Seconds of frame j at rate R, rounded to the microsecond so that 0.1-fps times print as 10, 20, … */
export function frameTime(j: number, sampleRate: number): number {
  return Math.round((j / sampleRate) * 1e6) / 1e6;
}

export interface ThumbStreamOptions {
  sampleRate: number;
  /** The stream to decode (`-map 0:N`); the probe's video.index. */
  streamIndex: number;
  /** Decode every picture instead of skipping non-reference ones (slower; for measurements). */
  exactDecode?: boolean;
  /**
   * Hears how far ffmpeg has got, in seconds of the output from the first frame, as its `-progress` report says
   * (out_time_us, written to pipe 3 a few times a second); the last report is the end.
   */
  onTime?: (sec: number) => void;
  signal?: AbortSignal;
}

/** Pipe 3 of the ffmpeg child: where `-progress` reports go, apart from the frames (pipe 1) and the errors (pipe 2). */
const PROGRESS_FD = 3;

/** `-progress` reports every quarter second where ffmpeg has `-stats_period` (4.4 and later), else every half. */
function progressArgs(tools: FfmpegTools): string[] {
  const v = tools.version;
  const period = v === null || v.major > 4 || (v.major === 4 && v.minor >= 4) ? ['-stats_period', '0.25'] : [];
  return ['-progress', `pipe:${PROGRESS_FD}`, '-nostats', ...period];
}

/** The ffmpeg arguments for a thumbnail stream; exported so the benchmark can show what runs. */
export function thumbArgs(tools: FfmpegTools, path: string, o: ThumbStreamOptions): string[] {
  const rate = rational(o.sampleRate);
  return [
    '-hide_banner', '-nostdin', '-v', 'error',
    ...(o.exactDecode ? [] : ['-skip_frame', 'noref']),
    '-an', '-sn', '-dn',
    '-i', path,
    '-map', `0:${o.streamIndex}`,
    // bitexact + accurate_rnd: the same 32×32 bytes whatever SIMD the CPU offers, so desks agree on the pHashes.
    '-vf', `setpts=PTS-STARTPTS,fps=${rate}:round=up,scale=${THUMB_SIZE}:${THUMB_SIZE}:flags=lanczos+accurate_rnd+bitexact,format=gray`,
    ...(hasFpsMode(tools) ? ['-fps_mode', 'passthrough'] : ['-vsync', '0']),
    ...(o.onTime ? progressArgs(tools) : []),
    '-f', 'rawvideo', 'pipe:1',
  ];
}

/** Calls `onTime` with each out_time_us of ffmpeg's `-progress` lines ("key=value", one per line). */
function readProgress(stream: NodeJS.ReadableStream, onTime: (sec: number) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    const lines = (rest + text).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^out_time_us=(\d+)\s*$/.exec(line);
      if (m) onTime(Number(m[1]) / 1e6);
    }
  });
}

/** A rate as ffmpeg's exact "num/den" (0.6 → "3/5"), so that no binary fraction reaches the fps filter. */
export function rational(x: number): string {
  for (let den = 1; den <= 1000; den++) {
    const num = Math.round(x * den);
    if (num > 0 && Math.abs(num / den - x) < 1e-9) return `${num}/${den}`;
  }
  throw new CustodyError('INVALID_ARGUMENT', `expected a sampling rate expressible as a fraction with denominator ≤ 1000, got ${x}`);
}

export interface ThumbStreamEnd {
  /** ffmpeg's error output (its tail) when it printed any; decoding errors on a damaged file show up here. */
  errors: string;
}

/**
 * Yields one 1024-byte 32×32 gray thumbnail per sampled frame, in order; returns ffmpeg's error output at the end.
 * Throws CORRUPT_MEDIA when ffmpeg fails. Stopping the iteration early kills ffmpeg.
 */
export async function* streamThumbs(tools: FfmpegTools, path: string, o: ThumbStreamOptions): AsyncGenerator<Uint8Array, ThumbStreamEnd> {
  if (!(o.sampleRate > 0 && o.sampleRate <= 60)) {
    throw new CustodyError('INVALID_ARGUMENT', `expected a sampling rate in (0, 60] frames per second, got ${o.sampleRate}`);
  }
  o.signal?.throwIfAborted();
  const stdio: ('ignore' | 'pipe')[] = ['ignore', 'pipe', 'pipe'];
  if (o.onTime) stdio[PROGRESS_FD] = 'pipe';
  const child = spawn(tools.ffmpeg, thumbArgs(tools, path, o), { stdio, windowsHide: true });
  const progress = child.stdio[PROGRESS_FD];
  if (o.onTime && progress) readProgress(progress as NodeJS.ReadableStream, o.onTime);
  const stderr = new StderrTail();
  child.stderr!.on('data', (b: Buffer) => stderr.push(b));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', (e) =>
      reject(new CustodyError('IO_ERROR', `expected to run ${tools.ffmpeg}, but it failed to start: ${e.message}`, {}, { cause: e })),
    );
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  exited.catch(() => {}); // observed below; this keeps an early return from leaving an unhandled rejection
  const onAbort = (): void => {
    child.kill('SIGKILL');
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });

  let pending = Buffer.alloc(0);
  let done = false;
  try {
    for await (const chunk of child.stdout! as AsyncIterable<Buffer>) {
      let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (buf.length >= THUMB_BYTES) {
        // A copy, so the thumbnail can be transferred to a worker without detaching the pipe's buffer.
        yield new Uint8Array(buf.subarray(0, THUMB_BYTES));
        buf = buf.subarray(THUMB_BYTES);
      }
      pending = Buffer.from(buf);
    }
    const { code, signal } = await exited;
    o.signal?.throwIfAborted();
    if (code !== 0) {
      const why = lastErrorLine(stderr.text()) || (signal ? `killed by ${signal}` : `exit ${code}`);
      throw new CustodyError('CORRUPT_MEDIA', `expected ffmpeg to decode the video in ${path}, but it failed: ${why}`, {
        path,
        exitCode: code,
      });
    }
    if (pending.length !== 0) {
      throw new CustodyError('CORRUPT_MEDIA', `expected whole 32×32 frames from ffmpeg, got ${pending.length} trailing bytes for ${path}`);
    }
    done = true;
    return { errors: stderr.text().trim() };
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    if (!done && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
