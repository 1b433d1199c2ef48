// How long a video may run. The work of a fingerprint follows the duration, not the bytes: the fps filter repeats a
// picture for as long as its timestamps say, and every 5 seconds is a signed record. A 3 KB file stating 55 hours
// took seconds and 40,001 records; one stating 116 days, gigabytes of memory and disk. So the duration a file states
// is judged against the desk's limit (Limits.maxVideoSeconds) and against its size before a frame is decoded, and
// the frames that arrive are held to the same bound, whatever the header said.
import { CustodyError } from '../../errors.ts';
import { formatBytes } from '../detect.ts';

/**
 * The fewest bytes a video carries per second it states. The thinnest real stream we could make, a still black
 * 16×16 picture coded by x264 at 1 frame a second, takes 23 bytes a second; footage from a phone, a camera or a
 * platform takes kilobytes. At this floor a file gets at most one sampled frame (and one record) per 8 bytes.
 */
export const MIN_BYTES_PER_SECOND = 8;

/** "55 h 33 min", "4 min 10 s", "2.5 s". */
export function formatDuration(sec: number): string {
  if (sec < 60) return `${Math.round(sec * 10) / 10} s`;
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  return s % 60 > 0 ? `${m} min ${s % 60} s` : `${m} min`;
}

/**
 * The refusal of a video that runs `sec` seconds (as its file `states`, or as its frames `run to`), or null when the
 * desk takes it: FILE_TOO_LARGE past the desk's limit, CORRUPT_MEDIA when its `bytes` cannot hold that much footage
 * (a header claiming more than the file holds, like a truncated file).
 */
export function durationRefusal(path: string, sec: number, bytes: number, maxSec: number, how: 'states' | 'runs to'): CustodyError | null {
  if (sec > maxSec) {
    return new CustodyError(
      'FILE_TOO_LARGE',
      `expected a video of at most ${formatDuration(maxSec)}, got one that ${how} ${formatDuration(sec)} in ${path}`,
      { path, durationSec: sec, limitSec: maxSec },
    );
  }
  if (bytes < sec * MIN_BYTES_PER_SECOND) {
    return new CustodyError(
      'CORRUPT_MEDIA',
      `expected at least ${MIN_BYTES_PER_SECOND} bytes for each second a video runs, got ${formatBytes(bytes)} that ${how} ${formatDuration(sec)}` +
        ` in ${path}; its timing is damaged or forged`,
      { path, durationSec: sec, bytes },
    );
  }
  return null;
}

/**
 * The most frames sampling at `sampleRate` may give a video of `bytes` bytes within the limit: one more means the
 * frames run past what durationRefusal allows, and decoding stops there. A sampling interval and a second of slack,
 * as for a file that stops short (fingerprint.ts isShort).
 */
export function maxFramesFor(bytes: number, maxSec: number, sampleRate: number): number {
  const sec = Math.min(maxSec, bytes / MIN_BYTES_PER_SECOND);
  return Math.ceil((sec + 1) * sampleRate) + 1;
}
