// A streaming ZIP of files already on disk (PKWARE APPNOTE 6.3.10), for "download the selection": web mode's
// response, the desktop app's file chosen in a save dialog. Every entry is STORED: photos and videos are compressed
// already, so deflate would spend CPU to save nothing. Each file streams from disk into the output with its CRC-32
// computed on the way (zlib.crc32) and given after the data in a data descriptor (general purpose bit 3), so nothing
// is held in memory and the first bytes leave at once.
// The dependency that would do this (adm-zip) is in node_modules only for hardhat, and builds archives in memory.
import { statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { CustodyError } from '../errors.ts';
import { openChecked } from './checked-file.ts';

export interface ZipEntry {
  /** The name inside the archive: a plain file name, no folders (zipEntryNames makes them). */
  name: string;
  path: string;
  /** the hash its bytes must have: each file is opened, checked and read through one handle (checked-file.ts) */
  sha256: string | null;
  /** "the signed file of rec_…", for messages */
  what: string;
}

/** Without ZIP64 (which not every unzip tool reads), sizes and offsets are 32-bit. */
export const ZIP_MAX_BYTES = 0xffff_fffe;
const ZIP_MAX_ENTRIES = 0xfffe;

/** Plain, unique file names for the archive: folders, "..", control characters and clashes cannot come through. */
export function zipEntryNames(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((raw) => {
    const plain = [...(raw.split(/[\\/]/).pop() ?? '')].map((ch) => (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f || ':*?"<>|'.includes(ch) ? '_' : ch)).join('');
    const base = plain.replace(/^\.+/, '').trim() || 'file';
    const dot = base.lastIndexOf('.');
    const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, ''];
    let name = base;
    for (let n = 2; used.has(name.toLowerCase()); n++) name = `${stem} (${n})${ext}`;
    used.add(name.toLowerCase());
    return name;
  });
}

/** Refuses, before anything is sent, what a 32-bit ZIP cannot hold. Returns the archive's exact size. */
export function zipSize(entries: readonly ZipEntry[]): number {
  if (entries.length > ZIP_MAX_ENTRIES) throw new CustodyError('FILE_TOO_LARGE', `expected at most ${ZIP_MAX_ENTRIES} files in one download, got ${entries.length}`);
  let total = 22;
  for (const e of entries) {
    const n = Buffer.byteLength(e.name, 'utf8');
    total += 30 + n + statSync(e.path).size + 16 + 46 + n;
  }
  if (total > ZIP_MAX_BYTES) throw new CustodyError('FILE_TOO_LARGE', `expected a download of at most 4 GB, got ${(total / 2 ** 30).toFixed(1)} GB: choose fewer items`);
  return total;
}

function dosTime(d: Date): { time: number; date: number } {
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((Math.max(d.getFullYear(), 1980) - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

/** Writes, waiting for 'drain' when the stream says so; the listeners go once either fires (no leak over many waits). */
const write = (out: Writable, b: Buffer): Promise<void> =>
  new Promise((ok, fail) => {
    if (out.write(b)) return ok();
    const drained = (): void => {
      out.off('error', failed);
      ok();
    };
    const failed = (e: Error): void => {
      out.off('drain', drained);
      fail(e);
    };
    out.once('drain', drained);
    out.once('error', failed);
  });

/**
 * Streams the archive into `out` (not ended here). Each file is opened and checked against its hash just before its
 * entry (checked-file.ts) and read through that handle: one that no longer holds the bytes that were signed ends the
 * archive there with INTEGRITY_FAILED (the caller breaks the download off), so none of its bytes go out.
 */
export async function writeZip(out: Writable, entries: readonly ZipEntry[], now = new Date()): Promise<void> {
  const { time, date } = dosTime(now);
  const central: Buffer[] = [];
  let offset = 0;
  // Bit 3: CRC and sizes follow the data; bit 11: the name is UTF-8.
  const flags = 0x0008 | 0x0800;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt16LE(name.length, 26);
    const checked = await openChecked(e.path, e.sha256, e.what);
    await write(out, Buffer.concat([local, name]));
    let crc = 0;
    let size = 0;
    for await (const chunk of checked.handle.createReadStream({ start: 0 })) {
      crc = crc32(chunk as Buffer, crc);
      size += (chunk as Buffer).length;
      await write(out, chunk as Buffer);
    }
    if (offset + 30 + name.length + size > ZIP_MAX_BYTES) throw new CustodyError('FILE_TOO_LARGE', `expected the download to stay under 4 GB, but ${e.name} grew past it`);
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(crc >>> 0, 4);
    descriptor.writeUInt32LE(size, 8);
    descriptor.writeUInt32LE(size, 12);
    await write(out, descriptor);

    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(0x031e, 4); // made by: Unix, 3.0
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(flags, 8);
    c.writeUInt16LE(0, 10);
    c.writeUInt16LE(time, 12);
    c.writeUInt16LE(date, 14);
    c.writeUInt32LE(crc >>> 0, 16);
    c.writeUInt32LE(size, 20);
    c.writeUInt32LE(size, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE((0o100644 << 16) >>> 0, 38); // a regular file, rw-r--r--
    c.writeUInt32LE(offset, 42);
    central.push(c, name);
    offset += 30 + name.length + size + 16;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  await write(out, Buffer.concat([dir, end]));
}
