// `custody init | sign | verify | items | keys`: the desk itself, its signed items and its keys.
import type { Command } from 'commander';
import { PassphraseProtector } from '../../core/crypto/vault.ts';
import { resolveHome } from '../../core/store/home.ts';
import { CustodyError, isCustodyError } from '../../core/errors.ts';
import type { VerifyReport } from '../../core/provenance/checks.ts';
import { footageWords } from '../../core/provenance/verdict-words.ts';
import type { SignReceipt } from '../../core/provenance/sign-image.ts';
import { err, json, out, progressOnStderr, withDesk } from '../context.ts';
import { readPassphrase } from '../passphrase.ts';
import { metadataFromOptions, metadataOptions, printMetadata } from '../metadata-options.ts';
import type { withApi as WithApi } from '../api.ts';
import type { actingFor as ActingFor, readPassword as ReadPassword } from './auth.ts';

// The desk, the API and the login helpers are loaded by the actions that use them, not with this module: `custody
// sign` reads the passphrase and starts the key derivation before the desk's modules load (unlockedDesk).
const deskModule = () => import('../../core/desk.ts');
const actingFor: typeof ActingFor = async (...a) => (await import('./auth.ts')).actingFor(...a);
const readPassword: typeof ReadPassword = async (...a) => (await import('./auth.ts')).readPassword(...a);
const withApi: typeof WithApi = async (...a) => (await import('../api.ts')).withApi(...a);

function printReport(r: VerifyReport): void {
  out(`${r.verdict} (confidence ${r.confidence.toFixed(2)})${r.recordId ? `, record ${r.recordId}` : ''}`);
  if (r.summary) out(`  ${r.summary}`);
  for (const [name, c] of Object.entries(r.checks)) out(`  ${name.padEnd(10)} ${c.status.padEnd(8)} ${c.detail}`);
  // The RFC 3161 time-stamp on the claim signature (genTime, TSA), judged on its own.
  const ts = r.checks.c2pa.timestamp as { status: string; detail: string } | undefined;
  if (ts) out(`  ${'timestamp'.padEnd(10)} ${ts.status.padEnd(8)} ${ts.detail}`);
  if (r.segments) {
    const clock = (s: number) => `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, '0')}`;
    out(`  footage    ${footageWords(r)}`);
    for (const g of r.changedRanges ?? []) out(`  ${g.status.padEnd(10)} ${clock(g.start)}–${clock(g.end)}`);
  }
  if (r.hub) out(`  hub        ${r.hub.summary}`);
  if (r.metadata) printMetadata(r.metadata.fields, METADATA_SOURCE[r.metadata.source]);
}

const METADATA_SOURCE = {
  credentials: 'metadata (signed in its Content Credentials):',
  record: "metadata (as signed with the record; this copy's own may differ):",
  file: 'metadata (in the file only, not signed):',
} as const;

const IPTC_SOURCE_TYPES = 'http://cv.iptc.org/newscodes/digitalsourcetype/';

export function register(program: Command): void {
  program
    .command('init')
    .description('create the desk: database, key vault (passphrase from CUSTODY_PASSPHRASE or a prompt) and org signing key')
    .requiredOption('--org <name>', 'organisation name written into every signature')
    .option('--admin <name>', 'also create the first admin user (password from CUSTODY_PASSWORD or a prompt)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { org: string; admin?: string; json?: boolean }) => {
      const home = resolveHome();
      const { Desk } = await deskModule();
      if (Desk.isInitialized(home)) throw new CustodyError('ALREADY_INITIALIZED', `expected no desk at ${home}, but one exists already (set CUSTODY_HOME to create another)`);
      const passphrase = await readPassphrase('New passphrase for the desk keys: ', { confirm: true });
      const admin = o.admin ? { name: o.admin, password: await readPassword(`Password for the admin ${o.admin}: `, { confirm: true }) } : undefined;
      const { desk, key } = await Desk.init(home, { org: o.org, protector: new PassphraseProtector(passphrase), ...(admin ? { admin } : {}) });
      desk.close();
      if (o.json) json({ home, org: o.org, keyId: key.id, publicKey: key.publicKey, admin: o.admin ?? null });
      else out(`Desk created at ${home} for ${o.org}; signing key ${key.id}${o.admin ? `; admin ${o.admin}` : ''}`);
    });

  metadataOptions(program
    .command('sign')
    .description('sign photos: writes NAME.signed.EXT beside each input (or into --out) and records it on the desk')
    .argument('<files...>', 'images to sign')
    .option('--out <dir>', 'folder for the signed copies')
    .option('--source-type <term>', 'IPTC digital source type for the Content Credentials (digitalCapture, negativeFilm, … or the full URI); default: digitalCapture when the EXIF names a camera, else none')
    .option('--again', 'sign files this desk has already signed as new records (without it they are refused: exit 3)')
    .option('--json', 'print an array of receipts as JSON'))
    .action(async (files: string[], o: { out?: string; sourceType?: string; again?: boolean; json?: boolean } & Record<string, unknown>) => {
      const digitalSourceType = o.sourceType === undefined ? undefined : o.sourceType.includes('/') ? o.sourceType : `${IPTC_SOURCE_TYPES}${o.sourceType}`;
      // IPTC fields edited on the command line go into the copy's XMP; a source type alone stays the manifest's
      const edits = metadataFromOptions(o, undefined);
      const metadata = edits && digitalSourceType !== undefined && edits.digitalSourceType === undefined ? { ...edits, digitalSourceType } : edits;
      await withDesk(async (desk) => {
        // Signing needs the vault passphrase, and on a desk with users a user who may sign.
        const actor = (await actingFor(desk, 'sign'))!;
        const receipts: SignReceipt[] = [];
        const failures: CustodyError[] = [];
        let already = 0;
        for (const [i, file] of files.entries()) {
          if (files.length > 1) err(`[${i + 1}/${files.length}] signing ${file}`);
          const progress = progressOnStderr(`signing ${file}`);
          try {
            const r = await desk.sign(file, {
              ...(o.out ? { outDir: o.out } : {}), ...(digitalSourceType ? { digitalSourceType } : {}), ...(metadata ? { metadata } : {}), actor,
              onProgress: progress.listener, ...(o.again ? { again: true } : {}),
            }).finally(progress.end);
            receipts.push(r);
            const what = r.video ? `${r.video.segments} segments` : `watermark ${r.watermark.status}`;
            if (!o.json) out(`signed ${file} → ${r.output} (record ${r.recordId}, ${what}, content credentials ${r.c2pa.status})`);
            if (!o.json && r.metadata) printMetadata(r.metadata, 'metadata signed with it:');
            if (r.iimTruncated) err(`note: ${r.iimTruncated.join(', ')} cut to IPTC IIM's length limits in the copy's IIM block (its XMP and Content Credentials hold them whole)`);
          } catch (e) {
            if (isCustodyError(e, 'ALREADY_SIGNED')) {
              // Not an error of the file: a question. Asked again with --again, it becomes a second record.
              already += 1;
              err(`error ALREADY_SIGNED: ${file}: ${e.message} (custody sign --again signs it as a new record)`);
              continue;
            }
            if (!isCustodyError(e) || files.length === 1) throw e;
            failures.push(e);
            err(`error ${e.code}: ${file}: ${e.message}`);
          }
        }
        if (o.json) json(receipts);
        // 2 for files that could not be signed; 3 when the only ones left unsigned were signed before.
        if (failures.length > 0) process.exitCode = 2;
        else if (already > 0) process.exitCode = 3;
      }, { unlock: true, signing: true, first: files[0]! });
    });

  program
    .command('verify')
    .description('check any copy of a photo or video against this desk: exit 0 for authentic, original, published or derived, 1 for tampered or unknown')
    .argument('<file>', 'the file to check')
    .option('--json', 'print the report as JSON')
    .option('--local', "answer from this desk only, without asking the organisation's hub")
    .option('--deep', "search a photo for its watermark harder when the usual search finds none (a copy squeezed and cropped; about 0.3 s more)")
    .action(async (file: string, o: { json?: boolean; local?: boolean; deep?: boolean }) => {
      const report = await withDesk(async (desk) => {
        // The hub is asked with the copy's fingerprints when the desk is connected; its API key is in the vault.
        if (!o.local && desk.hub.link && (process.env.CUSTODY_PASSPHRASE ?? '') !== '') await desk.unlock(new PassphraseProtector(await readPassphrase('Passphrase for the desk keys: ')));
        const progress = progressOnStderr(`checking ${file}`);
        return desk.verify(file, { actor: await actingFor(desk, 'verify'), onProgress: progress.listener, hub: !o.local, deep: o.deep ?? false }).finally(progress.end);
      });
      if (o.json) json(report);
      else printReport(report);
      // 1 only when nothing vouches for the file or its content changed: an original, a published file and a copy are ours
      const good = (v: string | undefined) => v !== undefined && v !== 'tampered' && v !== 'unknown';
      process.exitCode = good(report.verdict) || (report.hub?.reached && good(report.hub.verdict)) ? 0 : 1;
    });

  program
    .command('items')
    .description('list the signed items on this desk, newest first')
    .option('--json', 'print as JSON')
    .option('--limit <n>', 'how many', (v) => Number.parseInt(v, 10), 1000)
    .action(async (o: { json?: boolean; limit: number }) => {
      const items = await withApi('items', (api) => api.items({ limit: o.limit }));
      if (o.json) return json(items);
      if (items.length === 0) return out('no signed items yet');
      for (const r of items) out(`${r.id}  ${r.signedAt}  ${r.kind.padEnd(5)}  ${r.inputName}  → ${r.outputPath ?? ''}`);
    });

  const keys = program.command('keys').description('org signing keys');
  keys
    .command('list')
    .description('list the signing keys of this desk')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const list = await withApi('keys', (api) => api.keys({}));
      if (o.json) return json(list);
      for (const k of list) out(`${k.id}  ${k.algorithm}  ${k.retiredAt ? `retired ${k.retiredAt}` : 'active'}  created ${k.createdAt}  ${k.publicKey}`);
    });
}
