// How far a file's packets actually reach, read without decoding: for streams whose container states no duration
// (raw elementary streams, live-recorded WebM) and for telling a truncated file from one whose audio outlasts its
// picture.
import { CustodyError } from '../../errors.ts';
import type { FfmpegTools } from './ffmpeg.ts';
import { lastErrorLine, runTool } from './ffmpeg.ts';

/**
 * The timestamp of the last packet, in seconds, of one stream (`0:N`) or of all of them (`0`), as ffmpeg reports
 * it while copying the packets to nowhere.
 */
export async function scanPacketsEnd(tools: FfmpegTools, path: string, map: string, signal?: AbortSignal): Promise<number> {
  const r = await runTool(
    tools.ffmpeg,
    ['-hide_banner', '-nostdin', '-v', 'error', '-i', path, '-map', map, '-c', 'copy', '-f', 'null', '-progress', 'pipe:1', '-nostats', '-'],
    { signal },
  );
  const times = [...r.stdout.toString('utf8').matchAll(/^out_time_us=(\d+)$/gm)].map((m) => Number(m[1]) / 1e6);
  const last = times[times.length - 1];
  if (r.code !== 0 || last === undefined) {
    throw new CustodyError(
      'CORRUPT_MEDIA',
      `expected to read the packets of ${path} to find its duration, but ffmpeg failed: ${lastErrorLine(r.stderr) || `exit ${r.code}`}`,
      { path },
    );
  }
  return last;
}

/** The video stream's duration: its last packet's timestamp plus one frame, to a whole number of frames. */
export async function scanDuration(tools: FfmpegTools, path: string, streamIndex: number, fps: number, signal?: AbortSignal): Promise<number> {
  const last = await scanPacketsEnd(tools, path, `0:${streamIndex}`, signal);
  if (!(fps > 0)) return Math.round(last * 1e3) / 1e3;
  return Math.round(Math.round((last + 1 / fps) * fps) / fps * 1e6) / 1e6;
}
