// Small JPEG previews of signed items for the Library and the Sign screen, made with sharp from the signed output
// (for a video, from a representative early frame that ffmpeg picks) and cached under CUSTODY_HOME/thumbnails: a
// record's output never changes, so a cached preview never goes stale.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from '../media/sharp.ts';
import { locateFfmpeg, runTool } from '../media/video/ffmpeg.ts';
import type { SignedRecord } from '../store/records.ts';

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
    const source = [record.outputPath, record.inputPath].find((p): p is string => p !== null && existsSync(p));
    if (record.kind === 'segment' || !source) return null;
    let jpeg: Buffer;
    try {
      const picture = record.kind === 'video' ? await videoFrame(source) : source;
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

/** A representative frame among a video's first 30 (ffmpeg's thumbnail filter), as PNG; null when none comes. */
async function videoFrame(path: string): Promise<Buffer | null> {
  const tools = await locateFfmpeg();
  const r = await runTool(tools.ffmpeg, ['-v', 'error', '-i', path, '-an', '-vf', 'thumbnail=30,scale=640:-2', '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'png', '-'], {
    maxStdout: 8 * 1024 * 1024,
  });
  return r.code === 0 && r.stdout.length > 0 ? r.stdout : null;
}
