// Debian's Chromium driven by playwright-core (no browser download), and the renderer build web mode serves.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { startWebServer, type WebServer } from '../../cli/web.ts';
import type { Desk } from '../../core/desk.ts';
import { ROOT } from './cli.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');

/** How long a screen may take to show what the desk did (signing and publishing are slow on a loaded machine). */
export const UI_WAIT = { timeout: 30_000, interval: 100 };

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`expected Chromium at ${CHROMIUM}; install Debian's chromium package (.ci/run does)`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * The renderer build (electron-vite), made when missing or older than any source it is built from. Test files run
 * in parallel: one builds while the others wait on a lock, so that none serves a half-written build.
 */
export function rendererBuild(): string {
  const dir = join(ROOT, 'out', 'renderer');
  const index = join(dir, 'index.html');
  const lock = join(ROOT, 'out', '.build-lock');
  const stale = () => {
    const sources = Math.max(newestMtime(join(ROOT, 'renderer')), newestMtime(join(ROOT, 'electron')), statSync(join(ROOT, 'core', 'api', 'methods.ts')).mtimeMs);
    return !existsSync(index) || statSync(index).mtimeMs < sources;
  };
  mkdirSync(join(ROOT, 'out'), { recursive: true });
  for (const started = Date.now(); ; sleep(200)) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another test file is building; a lock older than two minutes was left by a killed run.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() - started > 180_000) throw new Error(`expected the renderer build lock ${lock} to be released, but it was held for 3 minutes`);
    }
  }
  try {
    if (stale()) {
      execFileSync(process.execPath, [join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build', '--config', 'electron.config.ts'], { cwd: ROOT, stdio: 'ignore' });
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  return dir;
}

/** A screenshot with the test output, named for what it shows. */
export function screenshot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/** The sizes and colour schemes of the screenshots in a closing note. */
export const SHOT_SIZES = [[1280, 800], [1920, 1080]] as const;
export const SHOT_SCHEMES = ['light', 'dark'] as const;

/**
 * What the page shows now at both sizes, light and dark (`<name>-<w>x<h>-<scheme>.png`), then back to 1280×800
 * light. `settle` runs after each resize and scheme change (to scroll what the shot is about into view, say).
 */
export async function screenshots(page: Page, name: string, settle?: () => Promise<void>): Promise<void> {
  for (const [width, height] of SHOT_SIZES) {
    await page.setViewportSize({ width, height });
    for (const scheme of SHOT_SCHEMES) {
      await page.emulateMedia({ colorScheme: scheme });
      await settle?.();
      await page.waitForTimeout(400); // colour transitions, and a layout that follows the resize
      await screenshot(page, `${name}-${width}x${height}-${scheme}`);
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: 'light' });
}

export interface UiSession {
  web: WebServer;
  browser: Browser;
  page: Page;
}

/**
 * Web mode over `desk` and a Chromium page at 1280×800 on it. Script errors and console errors (a CSP violation is
 * one; a refused API call's "Failed to load resource" is expected) are pushed into `errors`.
 */
export interface OpenUiOptions {
  web?: Omit<Parameters<typeof startWebServer>[1], 'rendererDir'>;
  acceptDownloads?: boolean;
  goto?: boolean;
}

export async function openUi(desk: Desk, errors: string[], opts: OpenUiOptions = {}): Promise<UiSession> {
  const web = await startWebServer(desk, { ...opts.web, rendererDir: rendererBuild() });
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, ...(opts.acceptDownloads ? { acceptDownloads: true } : {}) });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && errors.push(m.text()));
  if (opts.goto !== false) await page.goto(web.url);
  return { web, browser, page };
}

export interface UiFile extends UiSession {
  desk: Desk;
  /** script and console errors the page raised (see openUi) */
  errors: string[];
}

/**
 * The desk UI for one test file: before its tests, the desk `makeDesk` returns, web mode over it and Chromium on it
 * (openUi); after them, all of it closed. The returned object is filled in by the time the tests run.
 */
export function useUi(makeDesk: () => Promise<Desk>, opts: OpenUiOptions = {}): UiFile {
  const ui = { errors: [] as string[] } as UiFile;
  beforeAll(async () => {
    ui.desk = await makeDesk();
    Object.assign(ui, await openUi(ui.desk, ui.errors, opts));
  });
  afterAll(async () => {
    await ui.browser?.close();
    await ui.web?.close();
    ui.desk?.close();
  });
  return ui;
}
