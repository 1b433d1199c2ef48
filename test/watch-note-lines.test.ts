// A rejected drop's error note keeps one line a field (found in review): a newline in a dropped file's name (or in a
// message quoting it) added lines of its own, such as a made-up "code:" or "sha256:".
import { describe, expect, it } from 'vitest';
import { errorNoteText } from '../core/watch/notes.ts';
import type { WatchJob } from '../core/watch/jobs.ts';

describe('an error note', () => {
  it('writes control characters in a name or message as escapes, one line a field', () => {
    const rel = 'evil.jpg\ncode: OK\nsha256: 00';
    const job = {
      relPath: rel, sourcePath: `/in/${rel}`, sha256: null, updatedAt: '2026-12-05T00:00:00.000Z',
      error: { code: 'UNSUPPORTED_FORMAT', message: `expected a photo, got ${rel}`, at: '2026-12-05T00:00:00.000Z' },
    } as unknown as WatchJob;
    const lines = errorNoteText(job).trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines.filter((l) => l.startsWith('code: '))).toEqual(['code: UNSUPPORTED_FORMAT']);
    expect(lines).toContain('file: evil.jpg\\ncode: OK\\nsha256: 00');
  });
});
