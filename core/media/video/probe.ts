// What a media file holds, from ffprobe's JSON when ffprobe sits beside ffmpeg, else from the stream listing
// that `ffmpeg -i FILE` prints (ffmpeg-static ships no ffprobe).
import { open, stat } from 'node:fs/promises';
import { CustodyError } from '../../errors.ts';
import { isImageFormat, sniff } from '../detect.ts';
import type { FfmpegTools } from './ffmpeg.ts';
import { lastErrorLine, runTool } from './ffmpeg.ts';

export interface VideoStreamInfo {
  /** The stream's index in the file (what `-map 0:N` selects). */
  index: number;
  codec: string;
  /** Displayed size: coded size turned by the display matrix (ffmpeg autorotates the frames the same way). */
  width: number;
  height: number;
  /** Average frame rate; 0 when the file does not say. */
  fps: number;
  /** The stream's own duration in seconds, null when only the container states one. */
  durationSec: number | null;
  rotation: number;
}

export interface MediaProbe {
  /** ffmpeg's demuxer name, e.g. 'mov,mp4,m4a,3gp,3g2,mj2' or 'matroska,webm'. */
  container: string;
  /** The container's duration in seconds; null when it does not state one (e.g. a live-recorded WebM). */
  durationSec: number | null;
  hasAudio: boolean;
  /** The first real video stream (cover art and other attached pictures do not count); null when there is none. */
  video: VideoStreamInfo | null;
}

export interface ProbeOptions {
  /** Force the `ffmpeg -i` parser even when ffprobe is available. */
  useFfprobe?: boolean;
  signal?: AbortSignal;
}

/** Demuxers that read still images; ffmpeg would happily call a JPEG a one-frame video. */
const IMAGE_DEMUXER = /(^|,)(image2|[a-z0-9]+_pipe|gif|webp|apng)(,|$)/;

/**
 * Probes a file. Throws CORRUPT_MEDIA when a file that looks like a video cannot be read, UNSUPPORTED_FORMAT when it
 * is not a video at all; a readable file without a video stream is reported (video: null), not refused.
 */
export async function probeMedia(tools: FfmpegTools, path: string, options: ProbeOptions = {}): Promise<MediaProbe> {
  const head = await readHead(path);
  const useFfprobe = tools.ffprobe !== null && options.useFfprobe !== false;
  const probe = useFfprobe
    ? await probeWithFfprobe(tools.ffprobe!, path, head, options.signal)
    : await probeWithFfmpeg(tools.ffmpeg, path, head, options.signal);
  if (IMAGE_DEMUXER.test(probe.container)) {
    throw new CustodyError('UNSUPPORTED_FORMAT', `expected a video, got a still image (${probe.container}) at ${path}`, {
      path,
      container: probe.container,
    });
  }
  return probe;
}

async function readHead(path: string): Promise<Uint8Array> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new CustodyError('NOT_FOUND', `expected a video file, got a directory or device at ${path}`, { path });
    if (s.size === 0) throw new CustodyError('CORRUPT_MEDIA', `expected a video, got an empty file (0 bytes) at ${path}`, { path });
    const fh = await open(path, 'r');
    try {
      const head = new Uint8Array(32);
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      return head.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    if (e instanceof CustodyError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CustodyError('NOT_FOUND', `expected a video file at ${path}, but it does not exist`, { path });
    throw new CustodyError('IO_ERROR', `expected to read ${path}, but ${(e as Error).message}`, { path }, { cause: e });
  }
}

/** The error for a file ffmpeg cannot open: corrupt when its first bytes promise a video, unsupported otherwise. */
function unreadable(path: string, head: Uint8Array, detail: string): CustodyError {
  const format = sniff(head);
  if (format && !isImageFormat(format)) {
    return new CustodyError(
      'CORRUPT_MEDIA',
      `expected a readable ${format.toUpperCase()} video, but ffmpeg cannot read ${path} (${detail}); it may be truncated or damaged`,
      { path, format, detail },
    );
  }
  if (format) {
    return new CustodyError('UNSUPPORTED_FORMAT', `expected a video, got a ${format.toUpperCase()} image at ${path}`, { path, format });
  }
  return new CustodyError(
    'UNSUPPORTED_FORMAT',
    `expected a video file ffmpeg can read, but it does not recognise ${path} (${detail})`,
    { path, detail },
  );
}

function normRotation(deg: number): number {
  const r = Math.round(deg) % 360;
  return r < 0 ? r + 360 : r;
}

function displaySize(w: number, h: number, rotation: number): { width: number; height: number } {
  return rotation === 90 || rotation === 270 ? { width: h, height: w } : { width: w, height: h };
}

function ratio(s: unknown): number {
  if (typeof s !== 'string') return 0;
  const [n, d] = s.split('/').map(Number);
  if (n === undefined || !Number.isFinite(n)) return 0;
  if (d === undefined) return n;
  return d > 0 && Number.isFinite(d) ? n / d : 0;
}

function seconds(v: unknown): number | null {
  const n = typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : NaN;
  return Number.isFinite(n) && n >= 0 ? n : null;
}

interface FfprobeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  disposition?: { attached_pic?: number };
  tags?: { rotate?: string };
  side_data_list?: { rotation?: number }[];
}

async function probeWithFfprobe(ffprobe: string, path: string, head: Uint8Array, signal?: AbortSignal): Promise<MediaProbe> {
  const r = await runTool(ffprobe, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '--', path], { signal });
  let json: { format?: { format_name?: string; duration?: string }; streams?: FfprobeStream[] };
  try {
    json = JSON.parse(r.stdout.toString('utf8')) as typeof json;
  } catch {
    json = {};
  }
  if (r.code !== 0 || !json.format) throw unreadable(path, head, lastErrorLine(r.stderr) || `ffprobe exit ${r.code}`);
  const streams = json.streams ?? [];
  const v = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  let video: VideoStreamInfo | null = null;
  if (v) {
    const sideRot = v.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation;
    // The display matrix's angle is counter-clockwise; the legacy rotate tag is clockwise. Only ±90 matters here.
    const rotation = normRotation(sideRot ?? -Number(v.tags?.rotate ?? 0));
    const size = displaySize(v.width ?? 0, v.height ?? 0, rotation);
    video = {
      index: v.index ?? 0,
      codec: v.codec_name ?? 'unknown',
      ...size,
      fps: ratio(v.avg_frame_rate) || ratio(v.r_frame_rate),
      durationSec: seconds(v.duration),
      rotation,
    };
  }
  return {
    container: json.format.format_name ?? 'unknown',
    durationSec: seconds(json.format.duration),
    hasAudio: streams.some((s) => s.codec_type === 'audio'),
    video,
  };
}

async function probeWithFfmpeg(ffmpeg: string, path: string, head: Uint8Array, signal?: AbortSignal): Promise<MediaProbe> {
  // With no output file ffmpeg lists the input and exits 1 ("At least one output file must be specified").
  const r = await runTool(ffmpeg, ['-hide_banner', '-nostdin', '-i', path], { signal });
  const parsed = parseFfmpegListing(r.stderr);
  if (!parsed) throw unreadable(path, head, lastErrorLine(r.stderr) || `ffmpeg exit ${r.code}`);
  return parsed;
}

/** Parses the "Input #0 …" block that `ffmpeg -i` prints; null when there is none (ffmpeg could not open the file). */
export function parseFfmpegListing(stderr: string): MediaProbe | null {
  const lines = stderr.split('\n');
  const inputAt = lines.findIndex((l) => /^Input #0, /.test(l));
  if (inputAt < 0) return null;
  const container = /^Input #0, (.+?), from /.exec(lines[inputAt]!)?.[1] ?? 'unknown';
  let durationSec: number | null = null;
  let hasAudio = false;
  let video: VideoStreamInfo | null = null;
  let current: VideoStreamInfo | null = null;
  for (let i = inputAt + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\S/.test(line)) break; // the listing ends at the first unindented line
    const dur = /^\s+Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(line);
    if (dur) {
      durationSec = Number(dur[1]) * 3600 + Number(dur[2]) * 60 + Number(dur[3]);
      continue;
    }
    const st = /^\s+Stream #0:(\d+)\S*: (\w+): (.*)$/.exec(line);
    if (st) {
      current = null;
      const [, idx, kind, rest] = st as unknown as [string, string, string, string];
      if (kind === 'Audio') hasAudio = true;
      if (kind !== 'Video' || video || /\(attached pic\)/.test(rest)) continue;
      const size = /, (\d+)x(\d+)[\s,]/.exec(rest);
      const fps = /, ([\d.]+)(k?) fps/.exec(rest) ?? /, ([\d.]+)(k?) tbr/.exec(rest);
      current = {
        index: Number(idx),
        codec: /^(\w+)/.exec(rest)?.[1] ?? 'unknown',
        width: size ? Number(size[1]) : 0,
        height: size ? Number(size[2]) : 0,
        fps: fps ? Number(fps[1]) * (fps[2] === 'k' ? 1000 : 1) : 0,
        durationSec: null,
        rotation: 0,
      };
      video = current;
      continue;
    }
    const rot = /displaymatrix: rotation of (-?[\d.]+) degrees/.exec(line);
    if (rot && current) {
      current.rotation = normRotation(Number(rot[1]));
      Object.assign(current, displaySize(current.width, current.height, current.rotation));
    }
  }
  return { container, durationSec, hasAudio, video };
}
