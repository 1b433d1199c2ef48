// Finding ffmpeg (DESIGN "Sign (video)": ffmpeg-static when installed, else FFMPEG_PATH, else `ffmpeg` on PATH)
// and running it to completion with its output captured.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, dirname, join, sep } from 'node:path';
import { CustodyError } from '../../errors.ts';

export type FfmpegSource = 'ffmpeg-static' | 'FFMPEG_PATH' | 'PATH';

export interface FfmpegTools {
  /** Absolute path of the ffmpeg binary. */
  ffmpeg: string;
  /** ffprobe beside it, when there is one (ffmpeg-static ships none). */
  ffprobe: string | null;
  source: FfmpegSource;
  /** Parsed from `ffmpeg -version`; null for builds that do not say (git snapshots). */
  version: { major: number; minor: number } | null;
  versionText: string;
}

export interface LocateOptions {
  /** Environment to read FFMPEG_PATH and PATH from; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Skip ffmpeg-static even when it is installed (tests, or a user who points FFMPEG_PATH elsewhere). */
  skipStatic?: boolean;
}

const EXE = process.platform === 'win32' ? '.exe' : '';

async function isExecutable(path: string): Promise<boolean> {
  try {
    const s = await stat(path);
    if (!s.isFile()) return false;
    await access(path, process.platform === 'win32' ? constants.F_OK : constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The path ffmpeg-static exports, or null when the package is absent or has no binary for this platform. */
async function staticPath(): Promise<string | null> {
  let mod: { default?: unknown };
  try {
    // A variable specifier keeps bundlers and tsc from insisting that the optional dependency exists.
    const name = 'ffmpeg-static';
    mod = (await import(name)) as { default?: unknown };
  } catch {
    return null;
  }
  const p = mod.default;
  if (typeof p !== 'string' || p === '') return null;
  // Inside a packaged Electron app the binary is unpacked beside the asar archive (DESIGN "Electron rules").
  return p.replace(`app.asar${sep}`, `app.asar.unpacked${sep}`);
}

async function onPath(name: string, pathVar: string | undefined): Promise<string | null> {
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name + EXE);
    if (await isExecutable(p)) return p;
  }
  return null;
}

const cache = new Map<string, Promise<FfmpegTools>>();

/**
 * Finds ffmpeg: ffmpeg-static when installed, else FFMPEG_PATH, else `ffmpeg` on PATH; checks that it runs.
 * A FFMPEG_PATH that names no executable is an error rather than a silent fall-through to PATH.
 */
export async function locateFfmpeg(options: LocateOptions = {}): Promise<FfmpegTools> {
  const env = options.env ?? process.env;
  const tried: string[] = [];
  let found: { path: string; source: FfmpegSource } | null = null;

  if (!options.skipStatic) {
    const p = await staticPath();
    if (p && (await isExecutable(p))) found = { path: p, source: 'ffmpeg-static' };
    else tried.push(p ? `ffmpeg-static (${p}: not an executable file)` : 'ffmpeg-static (not installed)');
  }
  if (!found && env.FFMPEG_PATH) {
    if (!(await isExecutable(env.FFMPEG_PATH))) {
      throw new CustodyError(
        'NOT_FOUND',
        `expected FFMPEG_PATH to name an executable ffmpeg, got ${env.FFMPEG_PATH}, which is missing or not executable`,
        { FFMPEG_PATH: env.FFMPEG_PATH },
      );
    }
    found = { path: env.FFMPEG_PATH, source: 'FFMPEG_PATH' };
  } else if (!found) {
    tried.push('FFMPEG_PATH (not set)');
  }
  if (!found) {
    const p = await onPath('ffmpeg', env.PATH);
    if (p) found = { path: p, source: 'PATH' };
    else tried.push('ffmpeg on PATH (none)');
  }
  if (!found) {
    throw new CustodyError(
      'NOT_FOUND',
      `expected ffmpeg to process video, found none: tried ${tried.join(', ')}; install ffmpeg or set FFMPEG_PATH`,
      { tried },
    );
  }

  const key = `${found.source}\0${found.path}`;
  let pending = cache.get(key);
  if (!pending) {
    pending = inspect(found.path, found.source);
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}

async function inspect(path: string, source: FfmpegSource): Promise<FfmpegTools> {
  const r = await runTool(path, ['-hide_banner', '-version']);
  const first = r.stdout.toString('utf8').split('\n')[0] ?? '';
  if (r.code !== 0 || !/^ffmpeg version /.test(first)) {
    throw new CustodyError(
      'NOT_FOUND',
      `expected ${path} (from ${source}) to be ffmpeg, but \`-version\` printed "${first.slice(0, 80)}" (exit ${r.code})`,
      { path, source },
    );
  }
  const m = /^ffmpeg version n?(\d+)\.(\d+)/.exec(first);
  const probe = join(dirname(path), 'ffprobe' + EXE);
  return {
    ffmpeg: path,
    ffprobe: (await isExecutable(probe)) ? probe : null,
    source,
    version: m ? { major: Number(m[1]), minor: Number(m[2]) } : null,
    versionText: first.trim(),
  };
}

/** True when this ffmpeg has `-fps_mode` (5.1 and later; undated git builds are assumed recent). */
export function hasFpsMode(tools: FfmpegTools): boolean {
  const v = tools.version;
  return v === null || v.major > 5 || (v.major === 5 && v.minor >= 1);
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs a tool to completion, capturing stdout (bounded) and stderr (its tail). */
export function runTool(cmd: string, args: string[], opts: { signal?: AbortSignal; maxStdout?: number } = {}): Promise<RunResult> {
  const maxStdout = opts.maxStdout ?? 16 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, signal: opts.signal });
    const out: Buffer[] = [];
    let outLen = 0;
    const err = new StderrTail();
    child.stdout.on('data', (b: Buffer) => {
      outLen += b.length;
      if (outLen > maxStdout) {
        child.kill('SIGKILL');
        return;
      }
      out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.name === 'AbortError') reject(opts.signal?.reason ?? e);
      else reject(new CustodyError('IO_ERROR', `expected to run ${cmd}, but it failed to start: ${e.message}`, { cmd }, { cause: e }));
    });
    child.on('close', (code, signal) => {
      if (outLen > maxStdout) {
        reject(new CustodyError('IO_ERROR', `expected at most ${maxStdout} bytes from ${cmd}, got more`, { cmd }));
        return;
      }
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: err.text() });
    });
  });
}

/** Keeps the last 64 KB of a child's stderr: enough for ffmpeg's stream listing and its final errors. */
export class StderrTail {
  private chunks: Buffer[] = [];
  private len = 0;
  private readonly limit: number;
  constructor(limit = 64 * 1024) {
    this.limit = limit;
  }
  push(b: Buffer): void {
    this.chunks.push(b);
    this.len += b.length;
    while (this.len > this.limit && this.chunks.length > 1) this.len -= this.chunks.shift()!.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** The last meaningful line ffmpeg printed, for error messages. */
export function lastErrorLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^At least one output file must be specified/.test(l));
  return (lines[lines.length - 1] ?? '').replace(/^\[[^\]]*@ 0x[0-9a-f]+\] /, '').slice(0, 300);
}
