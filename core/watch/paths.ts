// Which files in a watched folder are taken, and where each one lands under OUT.
import { createHash } from 'node:crypto';
import { basename, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** Partial downloads and copies in progress, by suffix (lower case). */
const TEMP_SUFFIXES = ['.part', '.partial', '.tmp', '.temp', '.crdownload', '.download', '.filepart', '.!ut', '~'];
/** Operating-system litter that is never a photographer's file (lower case). */
const SYSTEM_FILES = new Set(['thumbs.db', 'desktop.ini', 'ehthumbs.db', 'icon\r']);
/**
 * Files that travel with photos but are not pictures or footage: sidecars, captions, documents, archives. A hot
 * folder leaves them where they are instead of rejecting them, so a card dump or a wire folder does not fill
 * rejected/ with noise. A file named like media (or with no extension) is always taken, so a broken or disguised
 * picture is still rejected with its reason, and RAW files are rejected as unsupported rather than silently kept.
 */
const NON_MEDIA_EXTENSIONS = new Set([
  '.xmp', '.txt', '.md', '.rtf', '.doc', '.docx', '.odt', '.pdf', '.csv', '.json', '.xml', '.html', '.htm',
  '.zip', '.7z', '.rar', '.gz', '.tar', '.srt', '.vtt', '.lrf', '.thm', '.ini', '.log', '.url', '.webloc', '.lnk',
]);

/**
 * Whether a path relative to the watched folder is skipped: dot-files and anything inside a dot-folder
 * (.DS_Store, ._AppleDouble, .Trashes, .git …), temporary and partial files, Thumbs.db and the like, and files that
 * are not media by their extension (sidecars, captions, documents, archives).
 */
export function isIgnored(rel: string): boolean {
  if (rel === '') return false;
  const parts = rel.split(/[\\/]/);
  if (parts.some((p) => p.startsWith('.'))) return true;
  const name = (parts[parts.length - 1] ?? '').toLowerCase();
  return SYSTEM_FILES.has(name) || TEMP_SUFFIXES.some((s) => name.endsWith(s)) || NON_MEDIA_EXTENSIONS.has(extname(name));
}

/** The path of `abs` inside `root` with '/' separators, or null when it is not inside. */
export function relativeInside(root: string, abs: string): string | null {
  const rel = relative(root, abs);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
  return rel.split(sep).join('/');
}

/** Joins a '/'-separated relative path onto a folder. */
export const under = (root: string, rel: string): string => join(root, ...rel.split('/'));

/** Whether one folder is the other or lies inside it. */
export function nested(a: string, b: string): boolean {
  const ra = resolve(a);
  const rb = resolve(b);
  return ra === rb || relativeInside(ra, rb) !== null || relativeInside(rb, ra) !== null;
}

/** Where the queue keeps files it is working on: inside OUT, so that the final moves are renames. */
export const STAGING_DIR = '.custody';
export const ORIGINALS_DIR = 'originals';
export const REJECTED_DIR = 'rejected';

/** One folder per job, named with the folder id too, so that two desks sharing an OUT by mistake never collide. */
export const stagingDirOf = (outDir: string, folderId: string, jobId: number): string => join(outDir, STAGING_DIR, 'jobs', `${folderId}-${jobId}`);

/** `photo.jpg`, then `photo-2.jpg`, `photo-3.jpg`, … (the same scheme as the sign command's outputs). */
export function variant(path: string, n: number): string {
  if (n <= 1) return path;
  const name = basename(path);
  const ext = extname(name);
  return join(path.slice(0, path.length - name.length), `${name.slice(0, name.length - ext.length)}-${n}${ext}`);
}

/** The longest file name most file systems take (ext4, APFS, NTFS count 255 bytes or UTF-16 units). */
const NAME_MAX_BYTES = 255;
/**
 * What the desk adds to a name it places: a variant (`-12`) and `.receipt.json` or `.error.txt` in OUT, and the
 * signed output's temporary `.<name>.<recordId>.part` (34 bytes more) in the staging folder.
 */
const NAME_ROOM = 40;
const EXT_MAX_BYTES = 16;

/**
 * A file name that leaves room for the desk's suffixes: unchanged when it is short enough; otherwise cut at a
 * character boundary, with a short hash of the whole name (so that two long names sharing a beginning differ) and
 * the extension kept: `<beginning>~<8 hex><.ext>`.
 */
export function fitName(name: string): string {
  const budget = NAME_MAX_BYTES - NAME_ROOM;
  if (Buffer.byteLength(name) <= budget) return name;
  const ext = Buffer.byteLength(extname(name)) <= EXT_MAX_BYTES ? extname(name) : '';
  const tag = `~${createHash('sha256').update(name).digest('hex').slice(0, 8)}${ext}`;
  let stem = '';
  let bytes = Buffer.byteLength(tag);
  for (const ch of name.slice(0, name.length - ext.length)) {
    bytes += Buffer.byteLength(ch);
    if (bytes > budget) break;
    stem += ch;
  }
  return stem + tag;
}

/** A '/'-separated relative path with its last part fitted (fitName); its folders exist in IN under their own names. */
export function fitRel(rel: string): string {
  const cut = rel.lastIndexOf('/') + 1;
  return rel.slice(0, cut) + fitName(rel.slice(cut));
}

export const receiptPathOf = (signedPath: string): string => `${signedPath}.receipt.json`;
export const errorNotePathOf = (rejectedPath: string): string => `${rejectedPath}.error.txt`;
