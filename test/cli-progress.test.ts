// How `custody sign` and `custody verify` show a video's progress on stderr: rewritten in place on a terminal, a
// line per tenth elsewhere (cli/context.ts progressOnStderr). The CLI run itself is in video-pipeline.test.ts.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressOnStderr } from '../cli/context.ts';
import type { WorkProgress } from '../core/media/progress.ts';

function stream(tty: boolean): { s: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const w = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  Object.assign(w, { isTTY: tty });
  return { s: w as unknown as NodeJS.WriteStream, text: () => text };
}

const steps = (percents: number[]): WorkProgress[] => [
  { phase: 'starting', percent: 0, doneSec: 0, totalSec: 0 },
  ...percents.map((percent): WorkProgress => ({ phase: percent < 85 ? 'fingerprinting' : percent < 100 ? 'credentials' : 'done', percent, doneSec: Math.min(30, percent * 0.3), totalSec: 30 })),
];

describe('progress on stderr', () => {
  it('on a terminal: one line rewritten at each whole percent, closed at 100 %', async () => {
    const { s, text } = stream(true);
    const p = progressOnStderr('signing clip.mp4', s);
    for (const e of steps([0, 0.4, 1.2, 1.9, 42.5, 85, 100])) p.listener(e);
    p.end();
    expect(text()).toBe(
      ['\r', 'signing clip.mp4: 0% fingerprinting, 0:00 of 0:30', '\x1b[K',
        '\r', 'signing clip.mp4: 1% fingerprinting, 0:00 of 0:30', '\x1b[K',
        '\r', 'signing clip.mp4: 42% fingerprinting, 0:12 of 0:30', '\x1b[K',
        '\r', 'signing clip.mp4: 85% credentials, 0:25 of 0:30', '\x1b[K',
        '\r', 'signing clip.mp4: 100% done, 0:30 of 0:30', '\x1b[K', '\n'].join(''),
    );
  });

  it('on a terminal, work that fails half way leaves the line closed for the error that follows', () => {
    const { s, text } = stream(true);
    const p = progressOnStderr('checking copy.mp4', s);
    for (const e of steps([0, 30])) p.listener(e);
    p.end();
    p.end();
    expect(text().endsWith('30% fingerprinting, 0:09 of 0:30\x1b[K\n')).toBe(true);
    expect(text().split('\n')).toHaveLength(2);
  });

  it('in a pipe or a log: a line at each tenth reached, 0 % to 100 %', () => {
    const { s, text } = stream(false);
    const p = progressOnStderr('signing a\x1b]0;x\x07.mp4', s);
    for (const e of steps([0, 3, 9.9, 10, 12, 35, 85, 98, 100])) p.listener(e);
    p.end();
    const lines = text().trimEnd().split('\n');
    expect(lines.map((l) => /: (\d+)% /.exec(l)?.[1])).toEqual(['0', '10', '30', '80', '90', '100']);
    // a file name cannot write control sequences to the terminal
    expect(text().includes('\x1b') || text().includes('\x07')).toBe(false);
  });
});
