// How far long work has got (a video being signed or verified): one figure from 0 to 100 and the phase it is in,
// for a progress bar or a line on stderr. Reports only move forward, so a listener can draw each one as it comes.

/** What the work is doing: hashing the file's bytes, decoding its frames, writing its Content Credentials, … */
export const WORK_PHASES = ['starting', 'hashing', 'fingerprinting', 'credentials', 'writing', 'done'] as const;
export type WorkPhase = (typeof WORK_PHASES)[number];

export interface WorkProgress {
  phase: WorkPhase;
  /** 0 to 100, never going back; 100 only once the work is done. */
  percent: number;
  /** Seconds of video decoded so far and in all (0 and 0 before the duration is known). */
  doneSec: number;
  totalSec: number;
}

export type ProgressListener = (p: WorkProgress) => void;

/**
 * A listener that passes on only reports that move forward: a percentage above the last one (to a tenth of a
 * percent), or the same percentage in a new phase. Throws nothing back at the worker: a listener's failure is its own.
 */
export function forwardOnly(listener: ProgressListener): ProgressListener {
  let last = -1;
  let lastPhase: WorkPhase | null = null;
  return (p) => {
    const percent = Math.min(100, Math.max(0, Math.floor(p.percent * 10) / 10));
    if (percent < last || (percent === last && p.phase === lastPhase)) return;
    last = percent;
    lastPhase = p.phase;
    try {
      listener({ ...p, percent });
    } catch {
      // a progress bar that fails must not fail the signature
    }
  };
}

/** Maps a listener's 0–100 onto [from, to] of an enclosing figure (the fingerprint is the first 90 % of signing). */
export function within(listener: ProgressListener, from: number, to: number): ProgressListener {
  return (p) => listener({ ...p, percent: from + ((to - from) * p.percent) / 100 });
}
