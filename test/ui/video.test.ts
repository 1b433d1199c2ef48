// A video through the screens (web mode + Chromium): signed from the Sign screen with its preview frame, and a copy
// with a stretch replaced verified on the Verify screen, whose timeline marks where the copy departs.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeOtherFootage, makeSlideshow, splice } from '../fixtures/video.ts';
import { UI_WAIT, screenshot, useUi } from '../helpers/browser.ts';
import { tempDir } from '../helpers/cli.ts';
import { tempDesk } from '../helpers/desk.ts';

const ui = useUi(() => tempDesk('Video Desk'));

describe('a video in the browser', () => {
  it('signs a video from the Sign screen, with a preview frame', async () => {
    const src = join(tempDir(), 'interview.mp4');
    await makeSlideshow(src, { width: 320, height: 240, fps: 25, seconds: 20 });
    await ui.page.getByRole('button', { name: 'Drop photos to sign, or choose files' }).getByTestId('file-input').setInputFiles(src);
    const job = ui.page.getByTestId('sign-job');
    await expect.poll(() => job.locator('.job-state').textContent(), { ...UI_WAIT, timeout: 90_000 }).toBe('Signed');
    expect(await job.getByTestId('receipt').textContent()).toMatch(/Record rec_[0-9a-z]{26} · watermark skipped · Content Credentials embedded/);
    await job.locator('img').waitFor();
    expect(await job.locator('img').getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/);
    expect(ui.desk.items().map((r) => `${r.kind}:${r.inputName}`)).toEqual(['video:interview.mp4']);
  });

  it('verifies a copy with a stretch replaced: the timeline marks it, the rest still traces', async () => {
    const item = ui.desk.items()[0]!;
    const dir = tempDir();
    const other = join(dir, 'other.mp4');
    const copy = join(dir, 'edited.mp4');
    await makeOtherFootage(other, { width: 320, height: 240, fps: 25, seconds: 5 });
    await splice(item.outputPath!, other, copy, 5, 10);

    await ui.page.getByRole('link', { name: 'Verify' }).click();
    await ui.page.getByRole('button', { name: 'Drop any copy to verify it' }).getByTestId('file-input').setInputFiles(copy);
    const segments = ui.page.getByTestId('segments').locator('li');
    await expect.poll(() => segments.count(), { ...UI_WAIT, timeout: 90_000 }).toBeGreaterThanOrEqual(4);
    const labels = await segments.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    expect(labels[0]).toMatch(/^0:00 to 0:05: (Unchanged|Re-encoded)$/);
    expect(labels.find((l) => l?.startsWith('0:05 to 0:10'))).toMatch(/Changed|Cut|Added/);
    expect(labels.at(-1)).toMatch(/to 0:20: (Unchanged|Re-encoded)$/);
    expect(await ui.page.getByTestId('verdict-title').textContent()).not.toMatch(/^Authentic/);
    expect(await ui.page.getByText(/signed segments traced; the rest was changed, cut or added \(below\)\./).count()).toBe(1);
    await screenshot(ui.page, 'verify-video-real');
  });

  it("shows a video's signing as a bar that moves by percentage, with the phase", async () => {
    // 60 s of 720p: long enough that the screen's quarter-second polls see the figure move on a fast machine too.
    const src = join(tempDir(), 'long-take.mp4');
    await makeOtherFootage(src, { width: 1280, height: 720, fps: 25, seconds: 60, preset: 'ultrafast' });
    await ui.page.getByRole('link', { name: 'Sign' }).click();
    // Every percentage the job shows while it signs, as the page drew it (recorded in the page, so none is missed
    // between two looks from here).
    await ui.page.evaluate(() => {
      const seen: { percent: string; value: number; detail: string }[] = [];
      (window as unknown as { seenProgress: typeof seen }).seenProgress = seen;
      new MutationObserver(() => {
        const job = [...document.querySelectorAll('[data-testid="sign-job"].signing')].find((j) => j.textContent?.includes('long-take.mp4'));
        const percent = job?.querySelector('[data-testid="job-percent"]')?.textContent?.trim();
        if (!job || !percent || seen.at(-1)?.percent === percent) return;
        seen.push({ percent, value: job.querySelector('progress')?.value ?? -1, detail: job.querySelector('small')?.textContent?.trim() ?? '' });
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await ui.page.getByRole('button', { name: 'Drop photos to sign, or choose files' }).getByTestId('file-input').setInputFiles(src);
    const job = ui.page.getByTestId('sign-job').filter({ hasText: 'long-take.mp4' });
    await expect.poll(() => job.locator('.job-state').textContent(), { ...UI_WAIT, timeout: 240_000 }).toBe('Signed');
    const seen = await ui.page.evaluate(() => (window as unknown as { seenProgress: { percent: string; value: number; detail: string }[] }).seenProgress);
    const percents = seen.map((s) => Number(/^(\d+) %$/.exec(s.percent)?.[1] ?? NaN));
    expect(percents.every((p) => p >= 0 && p <= 100)).toBe(true);
    expect(percents.some((p) => p > 0 && p < 100)).toBe(true);
    expect(percents.every((p, i) => i === 0 || p >= percents[i - 1]!)).toBe(true);
    // the bar holds the figure the label says, and the phase is named
    expect(seen.every((s) => Math.abs(s.value * 100 - Number(s.percent.replace(' %', ''))) <= 0.5)).toBe(true);
    expect(seen.some((s) => /^Reading the frames · \d+ of 60 s$/.test(s.detail))).toBe(true);
  }, 300_000);

  it('raised no script errors and broke no content security policy', () => {
    expect(ui.errors).toEqual([]);
  });
});
