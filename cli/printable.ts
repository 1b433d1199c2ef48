// Everything the command prints goes through here (out, err and json in context.ts): names that come from the file
// system or from people (file names, folder paths, comments, directory groups) must not drive the terminal or
// forge a line of output. A file named "a\x1b]0;pwned\x07.jpg" or "ok.jpg\nsigned evil.jpg" is shown escaped.
// Control characters (C0, DEL, C1) and the bidirectional overrides that reorder text on screen are escaped.

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const ANY_UNSAFE = new RegExp(UNSAFE.source);
// The same set without tab, line feed and carriage return: for text whose lines are its structure (JSON, CSV).
// eslint-disable-next-line no-control-regex -- as above
const UNSAFE_KEEPING_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\x1b': '\\e' };

const hex = (c: string, width: number): string => c.codePointAt(0)!.toString(16).padStart(width, '0');

function escape(c: string): string {
  return NAMED[c] ?? (c.codePointAt(0)! <= 0xff ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`);
}

/** One line of output: every control or reordering character escaped (a backslash doubled only when one was). */
export function printable(s: string): string {
  if (!ANY_UNSAFE.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(UNSAFE, escape);
}

/**
 * Structured text (JSON, CSV lines): the same characters as \uXXXX, which keeps JSON valid (they can only occur
 * inside its strings), leaving its own line breaks alone.
 */
export function printableText(text: string): string {
  return text.replace(UNSAFE_KEEPING_LINES, (c) => `\\u${hex(c, 4)}`);
}
