// The video fingerprint (DESIGN "Sign (video)"): probe → 32×32 gray frames at the adaptive rate → pHash per frame →
// chained 5-second segments, with the whole file's SHA-256 computed alongside. All or nothing: any failure throws,
// and ffmpeg is stopped.
import { stat } from 'node:fs/promises';
import { CustodyError } from '../../errors.ts';
import { DEFAULT_LIMITS, formatBytes } from '../detect.ts';
import { sha256File } from '../hash.ts';
import { forwardOnly, type ProgressListener } from '../progress.ts';
import { buildChain } from './chain.ts';
import { durationRefusal, maxFramesFor } from './duration-limit.ts';
import type { FfmpegTools } from './ffmpeg.ts';
import { locateFfmpeg } from './ffmpeg.ts';
import { frameTime, sampleRateFor, streamThumbs } from './frames.ts';
import type { PhashHasher } from './phash-pool.ts';
import { WORKER_MIN_FRAMES, inlineHasher, startPhashPool } from './phash-pool.ts';
import type { MediaProbe } from './probe.ts';
import { probeMedia } from './probe.ts';
import { scanDuration, scanPacketsEnd } from './scan.ts';
import type { VideoFingerprint } from './types.ts';
import { VIDEO_FINGERPRINT_ALGORITHM } from './types.ts';

export interface FingerprintOptions {
  /** ffmpeg to use; located with locateFfmpeg() when absent. */
  tools?: FfmpegTools;
  /**
   * Frames per second to sample instead of the duration-based schedule. Verification passes the signed
   * fingerprint's rate so that both sides sample the same instants.
   */
  sampleRate?: number;
  /**
   * Sample this many times as densely as the schedule (or sampleRate) says, a whole number from 1 to 8. For
   * verification: compareVideo then aligns trimmed copies to a quarter interval (with 4), and
   * resampleFingerprint(fp, fp.sampleRate / oversample) gives, exactly, the fingerprint a normal run would give.
   */
  oversample?: number;
  /** 'auto' (default): worker threads above WORKER_MIN_FRAMES frames, else inline, falling back to inline if workers cannot start. */
  hashing?: 'auto' | 'inline' | 'workers';
  /** Worker count when hashing in workers. */
  workers?: number;
  /**
   * Hears how far the fingerprint has got, 0 to 100 %: the lesser of the share of the video decoded (ffmpeg's
   * `-progress` time and the frames received, against the probed duration) and the share of the file's bytes
   * hashed, which run side by side; the phase names the one behind. 100 % once the fingerprint is complete.
   */
  onProgress?: ProgressListener;
  /** The file's SHA-256 when the caller has it already: the file is then not read a second time to hash it. */
  sha256?: string;
  /** Refuse files larger than this many bytes (FILE_TOO_LARGE). */
  maxBytes?: number;
  /**
   * Refuse videos that state, or whose frames run to, more seconds than this (FILE_TOO_LARGE), or more than their
   * size can hold (CORRUPT_MEDIA; duration-limit.ts). Default: DEFAULT_LIMITS.maxVideoSeconds.
   */
  maxDurationSec?: number;
  /** Decode every picture rather than skipping non-reference ones; slower, for measurement only. */
  exactDecode?: boolean;
  signal?: AbortSignal;
}

/** Whether the decoded frames stop short of the stated duration (by more than a sampling interval and a second). */
function isShort(frames: number, sampleRate: number, durationSec: number): boolean {
  return frameTime(frames, sampleRate) + 1 / sampleRate + 1 < durationSec;
}

/**
 * Fingerprints a video file. Throws NOT_FOUND (no file, or no ffmpeg), UNSUPPORTED_FORMAT (not a video, or no video
 * stream), CORRUPT_MEDIA (unreadable, truncated, no frames, a duration its bytes cannot hold), FILE_TOO_LARGE (too
 * many bytes or seconds), or the signal's reason when aborted.
 */
export async function fingerprintVideo(path: string, options: FingerprintOptions = {}): Promise<VideoFingerprint> {
  const { signal } = options;
  const oversample = options.oversample ?? 1;
  if (!Number.isInteger(oversample) || oversample < 1 || oversample > 8) {
    throw new CustodyError('INVALID_ARGUMENT', `expected oversample to be a whole number from 1 to 8, got ${oversample}`);
  }
  if (options.sampleRate !== undefined && !(options.sampleRate > 0 && options.sampleRate * oversample <= 60)) {
    throw new CustodyError('INVALID_ARGUMENT', `expected a sampling rate in (0, 60] frames per second, got ${options.sampleRate}`);
  }
  const tools = options.tools ?? (await locateFfmpeg());
  signal?.throwIfAborted();
  const size = (await stat(path).catch(() => null))?.size;
  const report = options.onProgress ? forwardOnly(options.onProgress) : null;
  report?.({ phase: 'starting', percent: 0, doneSec: 0, totalSec: 0 });
  if (options.maxBytes !== undefined) {
    if (size !== undefined && size > options.maxBytes) {
      throw new CustodyError('FILE_TOO_LARGE', `expected a video of at most ${formatBytes(options.maxBytes)}, got ${formatBytes(size)}`, {
        path,
        bytes: size,
        limit: options.maxBytes,
      });
    }
  }
  const probe = await probeMedia(tools, path, { signal });
  const video = requireVideo(probe, path);
  let durationSec = video.durationSec ?? probe.durationSec;
  if (durationSec === null) durationSec = await scanDuration(tools, path, video.index, video.fps, signal);
  if (!(durationSec > 0)) {
    throw new CustodyError('CORRUPT_MEDIA', `expected a video with a positive duration, got ${durationSec} s in ${path}`, { path });
  }
  // Before a frame is decoded: the work and the records follow the duration, which the file alone states.
  const maxSec = options.maxDurationSec ?? DEFAULT_LIMITS.maxVideoSeconds;
  const bytes = size ?? Infinity;
  const refusal = durationRefusal(path, durationSec, bytes, maxSec, 'states');
  if (refusal) throw refusal;
  const sampleRate = Math.round((options.sampleRate ?? sampleRateFor(durationSec)) * oversample * 1e9) / 1e9;

  // Progress: decoding and hashing run side by side, so the figure is the share both have reached. It stays under
  // 100 until the fingerprint is whole.
  const totalSec = durationSec;
  let decodedSec = 0;
  let hashed = options.sha256 !== undefined ? Infinity : 0;
  const tell = (end = false): void => {
    if (!report) return;
    const d = Math.min(1, decodedSec / totalSec);
    const h = size ? Math.min(1, hashed / size) : 1;
    report({ phase: h < d ? 'hashing' : 'fingerprinting', percent: end ? 100 : Math.min(99.9, 100 * Math.min(d, h)), doneSec: Math.min(totalSec, decodedSec), totalSec });
  };
  const decoded = (sec: number): void => {
    if (sec <= decodedSec) return;
    decodedSec = sec;
    tell();
  };
  tell();

  // Hash the whole file while ffmpeg decodes; a rejection is held until the frames are done.
  const onBytes = report ? (n: number) => { hashed = n; tell(); } : undefined;
  const sha = (options.sha256 !== undefined ? Promise.resolve(options.sha256) : sha256File(path, onBytes)).then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  const expectedFrames = Math.ceil(durationSec * sampleRate);
  // Timestamps can run past the duration a header states; the frames are held to the same bound.
  const maxFrames = maxFramesFor(bytes, maxSec, sampleRate);
  const hasher = await chooseHasher(options, expectedFrames);
  const pending: Promise<Uint8Array>[] = [];
  try {
    let errors: string;
    const frames = streamThumbs(tools, path, { sampleRate, streamIndex: video.index, exactDecode: options.exactDecode, signal, ...(report ? { onTime: decoded } : {}) });
    for (;;) {
      const r = await frames.next();
      if (r.done) {
        errors = r.value.errors;
        break;
      }
      if (pending.length >= maxFrames) {
        await frames.return({ errors: '' }); // stops ffmpeg
        throw durationRefusal(path, frameTime(pending.length, sampleRate), bytes, maxSec, 'runs to')!;
      }
      pending.push(hasher.hash(r.value));
      if (report) decoded(frameTime(pending.length, sampleRate));
    }
    const hashes = await Promise.all(pending);
    if (video.durationSec === null && probe.durationSec !== null && isShort(hashes.length, sampleRate, durationSec)) {
      // Only the container stated a duration, and it may count an audio track that outlasts the picture (common
      // in Matroska/WebM). If the packets of all streams still reach that duration, the file is whole and the
      // picture simply ends sooner; if they stop short, it is truncated (checkComplete says so).
      const allEnd = await scanPacketsEnd(tools, path, '0', signal);
      if (!isShort(Math.ceil(allEnd * sampleRate), sampleRate, durationSec)) {
        durationSec = await scanDuration(tools, path, video.index, video.fps, signal);
      }
    }
    checkComplete(path, hashes.length, sampleRate, durationSec, errors);
    const s = await sha;
    if (!s.ok) throw s.e;
    const { segments, chainHash } = buildChain(hashes, sampleRate, durationSec);
    decodedSec = totalSec;
    tell(true);
    return {
      algorithm: VIDEO_FINGERPRINT_ALGORITHM,
      sha256: s.v,
      durationSec: roundMs(durationSec),
      fps: Math.round(video.fps * 1000) / 1000,
      codec: video.codec,
      width: video.width,
      height: video.height,
      sampleRate,
      segments,
      chainHash,
    };
  } finally {
    await hasher.close();
    // Settle the hash promises so that a closed pool's rejections are not reported as unhandled.
    await Promise.allSettled(pending);
  }
}

function requireVideo(probe: MediaProbe, path: string): NonNullable<MediaProbe['video']> {
  if (probe.video) return probe.video;
  if (probe.hasAudio) {
    throw new CustodyError('UNSUPPORTED_FORMAT', `expected a video stream, but ${path} holds only audio (${probe.container})`, {
      path,
      container: probe.container,
    });
  }
  if (probe.durationSec === 0 || probe.durationSec === null) {
    throw new CustodyError('CORRUPT_MEDIA', `expected video frames, but ${path} is an empty ${probe.container} container (no streams, duration 0)`, {
      path,
    });
  }
  throw new CustodyError('UNSUPPORTED_FORMAT', `expected a video stream, but ${path} has none (${probe.container})`, { path });
}

/** A file whose frames stop well before its stated duration is truncated or damaged: refuse it rather than sign half. */
function checkComplete(path: string, frames: number, sampleRate: number, durationSec: number, errors: string): void {
  if (frames === 0) {
    throw new CustodyError(
      'CORRUPT_MEDIA',
      `expected decodable video frames in ${path}, got none${errors ? ` (ffmpeg: ${lastLine(errors)})` : ''}`,
      { path },
    );
  }
  const covered = frameTime(frames, sampleRate);
  if (isShort(frames, sampleRate, durationSec)) {
    throw new CustodyError(
      'CORRUPT_MEDIA',
      `expected frames for the ${durationSec.toFixed(1)} s the file states, but decoding stopped at about ${covered.toFixed(1)} s` +
        ` in ${path}; it is truncated or damaged${errors ? ` (ffmpeg: ${lastLine(errors)})` : ''}`,
      { path, durationSec, decodedSec: covered },
    );
  }
}

const lastLine = (s: string): string => (s.split('\n').pop() ?? '').replace(/^\[[^\]]*@ 0x[0-9a-f]+\] /, '').slice(0, 200);
const roundMs = (s: number): number => Math.round(s * 1e6) / 1e6;

async function chooseHasher(options: FingerprintOptions, expectedFrames: number): Promise<PhashHasher> {
  const mode = options.hashing ?? 'auto';
  if (mode === 'inline' || (mode === 'auto' && expectedFrames < WORKER_MIN_FRAMES)) return inlineHasher();
  try {
    return await startPhashPool({ size: options.workers });
  } catch (e) {
    if (mode === 'workers') throw e;
    return inlineHasher(); // identical hashes, only on this thread
  }
}
