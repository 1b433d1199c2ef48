// Small JPEG previews of signed items for the Library and the Sign screen, made with sharp from the signed output
// (for a video, from a representative early frame that ffmpeg picks) and cached under CUSTODY_HOME/thumbnails: a
// record's output never changes, so a cached preview never goes stale. A preview is made only from a file that still
// holds the bytes that were signed (its hash checked), never from whatever its path now leads to: the preview goes to
// every user, viewers included, and a link put in place of a signed copy must not show them another picture.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from '../media/sharp.ts';
import { locateFfmpeg, runTool } from '../media/video/ffmpeg.ts';
import type { SignedRecord } from '../store/records.ts';
import { openChecked } from './checked-file.ts';

export const THUMBNAIL_DIR = 'thumbnails';
export const DEFAULT_THUMBNAIL_SIZE = 240;

export class Thumbnails {
  readonly #dir: string;
  /** Previews being made, so that a screen asking twice at once decodes once. */
  readonly #pending = new Map<string, Promise<Buffer | null>>();

  constructor(home: string) {
    this.#dir = join(home, THUMBNAIL_DIR);
  }

  async dataUrl(record: SignedRecord, size = DEFAULT_THUMBNAIL_SIZE): Promise<string | null> {
    const jpeg = await this.jpeg(record, size);
    return jpeg ? `data:image/jpeg;base64,${jpeg.toString('base64')}` : null;
  }

  jpeg(record: SignedRecord, size: number): Promise<Buffer | null> {
    const key = `${record.id}-${size}`;
    let p = this.#pending.get(key);
    if (!p) {
      p = this.#make(record, size, join(this.#dir, `${key}.jpg`)).finally(() => this.#pending.delete(key));
      this.#pending.set(key, p);
    }
    return p;
  }

  async #make(record: SignedRecord, size: number, cached: string): Promise<Buffer | null> {
    if (existsSync(cached)) return readFileSync(cached);
    if (record.kind === 'segment') return null;
    const source = await checkedSource(record);
    if (!source) return null;
    let jpeg: Buffer;
    try {
      const picture = record.kind === 'video' ? await videoFrame(source.path) : source.bytes!;
      if (!picture) return null;
      jpeg = await sharp(picture, { limitInputPixels: 200_000_000 })
        .rotate()
        .resize(size, size, { fit: 'inside', withoutEnlargement: true })
        .flatten({ background: '#ffffff' })
        .jpeg({ quality: 72, mozjpeg: true })
        .toBuffer();
    } catch {
      return null; // a file sharp or ffmpeg cannot read (a format it does not decode, no ffmpeg): no preview
    }
    mkdirSync(this.#dir, { recursive: true });
    const tmp = `${cached}.${process.pid}.part`;
    writeFileSync(tmp, jpeg);
    renameSync(tmp, cached);
    return jpeg;
  }
}

/**
 * The signed output, else the original, whichever still holds its signed bytes: an image's bytes (read once, hashed,
 * decoded from memory), a video's path once its bytes were hashed (ffmpeg reads it by path after).
 */
async function checkedSource(record: SignedRecord): Promise<{ path: string; bytes: Buffer | null } | null> {
  for (const [path, sha256] of [[record.outputPath, record.outputSha256], [record.inputPath, record.sha256]] as const) {
    if (!path || !sha256 || !existsSync(path)) continue;
    try {
      const { handle } = await openChecked(path, sha256, `the file of ${record.id}`);
      try {
        if (record.kind === 'video') return { path, bytes: null };
        const chunks: Buffer[] = [];
        for await (const c of handle.createReadStream({ start: 0, autoClose: false })) chunks.push(c as Buffer);
        return { path, bytes: Buffer.concat(chunks) };
      } finally {
        await handle.close();
      }
    } catch {
      // replaced, changed, a link, unreadable: the next, or no preview
    }
  }
  return null;
}

/** A representative frame among a video's first 30 (ffmpeg's thumbnail filter), as PNG; null when none comes. */
async function videoFrame(path: string): Promise<Buffer | null> {
  const tools = await locateFfmpeg();
  const r = await runTool(tools.ffmpeg, ['-v', 'error', '-i', path, '-an', '-vf', 'thumbnail=30,scale=640:-2', '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'png', '-'], {
    maxStdout: 8 * 1024 * 1024,
  });
  return r.code === 0 && r.stdout.length > 0 ? r.stdout : null;
}
