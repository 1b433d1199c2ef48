// What a verifier without an account hears of the hub's answer (found in review): the hub's verdict and the
// organisation, not the hub's address, its reason for not answering, nor which records and desks matched.
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { publicReport } from '../core/api/public-record.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';

describe("a public report's hub answer", () => {
  it('keeps the verdict and the organisation, and drops the address, the reason, the records and the desks', { timeout: 60_000 }, async () => {
    const desk = await tempDesk('Daily Planet');
    try {
      const dir = tempDir();
      const src = join(dir, 'p.png');
      await sharp(photo('camera.png')).png().toFile(src);
      const r = await desk.sign(src, { actor: desk.bootstrapActor()!, outDir: dir });
      const report = await desk.verify(r.output);
      const answered = publicReport({
        ...report,
        hub: {
          reached: true, url: 'https://hub.newsroom.internal:8640', verdict: 'derived', confidence: 0.9,
          record: { id: 'rec_other', org: 'Daily Planet', desk: { id: 'desk_x', name: 'night photo desk', revokedAt: null }, signedAt: '2026-12-01T00:00:00.000Z', receivedAt: '2026-12-01T00:00:01.000Z', kind: 'image', manifestId: null },
          matches: [{ signal: 'phash', distance: 3, recordId: 'rec_other', desk: 'night photo desk' }],
          otherDesk: true, summary: 'derived: signed by desk night photo desk of Daily Planet at 2026-12-01T00:00:00.000Z', sent: { phash: 'ffffffffffffffff' },
        },
      });
      const text = JSON.stringify(answered.hub);
      for (const secret of ['hub.newsroom.internal', 'night photo desk', 'desk_x', 'ffffffffffffffff']) expect(text).not.toContain(secret);
      expect(answered.hub).toMatchObject({ reached: true, verdict: 'derived', record: { org: 'Daily Planet' }, matches: [] });
      const missed = publicReport({ ...report, hub: { reached: false, url: 'https://hub.newsroom.internal:8640', reason: 'connect ECONNREFUSED 10.1.2.3:8640', summary: 'the hub was not reached (connect ECONNREFUSED 10.1.2.3:8640)' } });
      expect(JSON.stringify(missed.hub)).not.toMatch(/10\.1\.2\.3|newsroom\.internal/);
      expect(missed.hub).toMatchObject({ reached: false });
    } finally {
      desk.close();
    }
  });
});
