// Which module defines each top-level command, with the line `custody --help` shows for it. A command's module (and
// everything it imports: the desk, sharp, c2pa-wasm, the watermark codec) is loaded only when that command runs or
// its own help is asked for, so that `custody --version` and `custody --help` start at once. test/cli-index.test.ts
// holds this table to what the modules register: the same commands, the same help text.
import type { Command } from 'commander';

export interface CommandModule {
  register(program: Command): void;
}

export const MODULES = {
  desk: () => import('./commands/desk.ts'),
  media: () => import('./commands/media.ts'),
  web: () => import('./commands/web.ts'),
  watch: () => import('./commands/watch.ts'),
  auth: () => import('./commands/auth.ts'),
  users: () => import('./commands/users.ts'),
  workflow: () => import('./commands/workflow.ts'),
  audit: () => import('./commands/audit.ts'),
  cert: () => import('./commands/cert.ts'),
  directory: () => import('./commands/directory.ts'),
  hub: () => import('./commands/hub.ts'),
  sync: () => import('./commands/sync.ts'),
  proof: () => import('./commands/proof.ts'),
} satisfies Record<string, () => Promise<CommandModule>>;

export type ModuleName = keyof typeof MODULES;

/** [help term, description, module], in the order of `custody --help`. */
export const COMMANDS: readonly (readonly [term: string, description: string, module: ModuleName])[] = [
  ['init [options]', 'create the desk: database, key vault (passphrase from CUSTODY_PASSPHRASE or a prompt) and org signing key', 'desk'],
  ['sign [options] <files...>', 'sign photos: writes NAME.signed.EXT beside each input (or into --out) and records it on the desk', 'desk'],
  ['verify [options] <file>', 'check any copy of a photo or video against this desk: exit 0 for authentic, original, published or derived, 1 for tampered or unknown', 'desk'],
  ['items [options]', 'list the signed items on this desk, newest first', 'desk'],
  ['keys', 'org signing keys', 'desk'],
  ['phash <file>', "print a photo's 64-bit perceptual hash (16 hex digits, compatible with Python imagehash.phash)", 'media'],
  ['watermark', 'the invisible watermark on its own', 'media'],
  ['web [options]', 'serve the desk UI and the DeskApi on 127.0.0.1 with a session token (for browsers)', 'web'],
  ['watch [options] [in]', 'sign every photo dropped into IN (recursively) until Ctrl-C: signed copies, receipts and originals go to OUT', 'watch'],
  ['watch-folders', 'the hot folders stored on this desk (the desktop app runs them too)', 'watch'],
  ['login [options] <name>', 'open a session as NAME (password from CUSTODY_PASSWORD or a prompt); it expires after --hours (default 8)', 'auth'],
  ['whoami [options]', 'print the acting user, their roles, and how they are known (CUSTODY_USER or a session)', 'auth'],
  ['logout', 'end the session of `custody login`', 'auth'],
  ['users', "the desk's users and their roles (admin, editor, chief, legal, viewer)", 'users'],
  ['submit [options] <item>', 'submit a signed item for approval (role editor in the default template)', 'workflow'],
  ['resubmit [options] <item>', 'send an item back to review after changes were requested; the options change what it was submitted as', 'workflow'],
  ['approve [options] <item>', "approve an item at its current stage (the stage's role; not your own submission)", 'workflow'],
  ['reject [options] <item>', 'reject an item at its current stage, for good', 'workflow'],
  ['request-changes [options] <item>', 'send an item back to its submitter with what to change', 'workflow'],
  ['withdraw [options] <item>', 'take an item out of the workflow', 'workflow'],
  ['publish [options] <item>', 'publish an approved item: writes NAME.published.EXT, a new signed output recording the approvals', 'workflow'],
  ['status [options] <item>', 'where an item is in the workflow, its history, and what you may do with it now', 'workflow'],
  ['templates', 'workflow templates (stages, roles, quorum, compliance checks)', 'workflow'],
  ['audit', 'the tamper-evident audit log', 'audit'],
  ['cert', 'Content Credentials (C2PA) certificates of this desk', 'cert'],
  ['settings', 'desk settings', 'cert'],
  ['timestamps', 'RFC 3161 time-stamps: those pending because the TSA did not answer at signing, and obtaining them', 'cert'],
  ['directory', "log users in with the newsroom's LDAP or Active Directory (admins only)", 'directory'],
  ['hub', "the organisation's hub: collects every desk's fingerprints and answers verification queries", 'hub'],
  ['sync [options]', "push this desk's outbox to the organisation's hub until Ctrl-C (or once with --once); needs the vault passphrase", 'sync'],
  ['proof', 'transparency-log proofs of records and audit heads (checked with the hub key alone)', 'proof'],
];

export const commandName = (term: string): string => term.split(' ')[0]!;

/** The module that defines top-level command `name`, or null for an unknown name. */
export function moduleOf(name: string): ModuleName | null {
  return COMMANDS.find(([term]) => commandName(term) === name)?.[2] ?? null;
}
