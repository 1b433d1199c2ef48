// Names that come from the file system or from users (file names, folder paths, comments) are printed through
// printable(): a file named "a\x1b]0;pwned\x07.jpg" or "ok.jpg\nsigned evil.jpg" must not drive the terminal or
// forge a line of output. Control characters (C0, DEL, C1) and the bidirectional overrides that reorder text on
// screen are shown as escapes instead.

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const ANY_UNSAFE = new RegExp(UNSAFE.source);

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\x1b': '\\e', '\\': '\\\\' };

function escape(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `s` with every control or reordering character escaped; a backslash is doubled only when something was escaped. */
export function printable(s: string): string {
  if (!ANY_UNSAFE.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(UNSAFE, escape);
}
