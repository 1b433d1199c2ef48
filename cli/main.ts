// The `custody` command: every desk capability, headless. Errors: one line `error CODE: sentence`, exit 2.
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { PassphraseProtector } from '../core/crypto/vault.ts';
import { err, json, out, progressOnStderr, withDesk } from './context.ts';
import { Desk, resolveHome } from '../core/desk.ts';
import { CustodyError, isCustodyError } from '../core/errors.ts';
import { DEFAULT_LIMITS, detectFile, isImageFormat } from '../core/media/detect.ts';
import { decodeImage, probeImage } from '../core/media/image.ts';
import { phashHex, phashPixels } from '../core/media/phash.ts';
import { embedWatermarkFile, extractWatermarkFile, parsePayload } from '../core/media/watermark-file.ts';
import type { VerifyReport } from '../core/provenance/checks.ts';
import type { SignReceipt } from '../core/provenance/sign-image.ts';
import { readPassphrase } from './passphrase.ts';
import { register as registerWeb } from './commands/web.ts';
import { register as registerWatch } from './commands/watch.ts';
import { register as registerAudit } from './commands/audit.ts';
import { currentActor, readPassword, register as registerAuth } from './commands/auth.ts';
import { register as registerUsers } from './commands/users.ts';
import { register as registerWorkflow } from './commands/workflow.ts';
import { register as registerCert } from './commands/cert.ts';
import { register as registerDirectory } from './commands/directory.ts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

function printReport(r: VerifyReport): void {
  out(`${r.verdict} (confidence ${r.confidence.toFixed(2)})${r.recordId ? `, record ${r.recordId}` : ''}`);
  for (const [name, c] of Object.entries(r.checks)) out(`  ${name.padEnd(10)} ${c.status.padEnd(8)} ${c.detail}`);
  if (r.segments) {
    const clock = (s: number) => `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, '0')}`;
    out(`  chain      ${r.chainIntact ? 'intact' : 'broken'}`);
    for (const g of r.changedRanges ?? []) out(`  ${g.status.padEnd(10)} ${clock(g.start)}–${clock(g.end)}`);
  }
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('custody')
    .description('Sign, watermark and verify photos on this desk. Data: CUSTODY_HOME, else the OS app-data folder "Custody".')
    .version(pkg.version, '-V, --version')
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('init')
    .description('create the desk: database, key vault (passphrase from CUSTODY_PASSPHRASE or a prompt) and org signing key')
    .requiredOption('--org <name>', 'organisation name written into every signature')
    .option('--admin <name>', 'also create the first admin user (password from CUSTODY_PASSWORD or a prompt)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { org: string; admin?: string; json?: boolean }) => {
      const home = resolveHome();
      if (Desk.isInitialized(home)) throw new CustodyError('ALREADY_INITIALIZED', `expected no desk at ${home}, but one exists already (set CUSTODY_HOME to create another)`);
      const passphrase = await readPassphrase('New passphrase for the desk keys: ', { confirm: true });
      const admin = o.admin ? { name: o.admin, password: await readPassword(`Password for the admin ${o.admin}: `, { confirm: true }) } : undefined;
      const { desk, key } = await Desk.init(home, { org: o.org, protector: new PassphraseProtector(passphrase), ...(admin ? { admin } : {}) });
      desk.close();
      if (o.json) json({ home, org: o.org, keyId: key.id, publicKey: key.publicKey, admin: o.admin ?? null });
      else out(`Desk created at ${home} for ${o.org}; signing key ${key.id}${o.admin ? `; admin ${o.admin}` : ''}`);
    });

  program
    .command('sign')
    .description('sign photos: writes NAME.signed.EXT beside each input (or into --out) and records it on the desk')
    .argument('<files...>', 'images to sign')
    .option('--out <dir>', 'folder for the signed copies')
    .option('--json', 'print an array of receipts as JSON')
    .action(async (files: string[], o: { out?: string; json?: boolean }) => {
      await withDesk(async (desk) => {
        // Signing needs the vault passphrase; a user, when one is given, is named in the audit log.
        const actor = (await currentActor(desk, { required: false }))?.actor ?? null;
        const receipts: SignReceipt[] = [];
        const failures: CustodyError[] = [];
        for (const [i, file] of files.entries()) {
          if (files.length > 1) err(`[${i + 1}/${files.length}] signing ${file}`);
          try {
            const r = await desk.sign(file, { ...(o.out ? { outDir: o.out } : {}), actor, onProgress: progressOnStderr(`fingerprinting ${file}`) });
            receipts.push(r);
            const what = r.video ? `${r.video.segments} segments` : `watermark ${r.watermark.status}`;
            if (!o.json) out(`signed ${file} → ${r.output} (record ${r.recordId}, ${what}, content credentials ${r.c2pa.status})`);
          } catch (e) {
            if (!isCustodyError(e) || files.length === 1) throw e;
            failures.push(e);
            err(`error ${e.code}: ${file}: ${e.message}`);
          }
        }
        if (o.json) json(receipts);
        if (failures.length > 0) process.exitCode = 2;
      }, { unlock: true });
    });

  program
    .command('verify')
    .description('check any copy of a photo against this desk: exit 0 for authentic or derived, 1 for tampered or unknown')
    .argument('<file>', 'the file to check')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      const report = await withDesk(async (desk) =>
        desk.verify(file, { actor: (await currentActor(desk, { required: false }))?.actor ?? null, onProgress: progressOnStderr(`fingerprinting ${file}`) }),
      );
      if (o.json) json(report);
      else printReport(report);
      process.exitCode = report.verdict === 'authentic' || report.verdict === 'derived' ? 0 : 1;
    });

  program
    .command('items')
    .description('list the signed items on this desk, newest first')
    .option('--json', 'print as JSON')
    .option('--limit <n>', 'how many', (v) => Number.parseInt(v, 10), 1000)
    .action(async (o: { json?: boolean; limit: number }) => {
      const items = await withDesk((desk) => desk.items(o.limit));
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
      const list = await withDesk((desk) => desk.keys());
      if (o.json) return json(list);
      for (const k of list) out(`${k.id}  ${k.algorithm}  ${k.retiredAt ? `retired ${k.retiredAt}` : 'active'}  created ${k.createdAt}  ${k.publicKey}`);
    });

  program
    .command('phash')
    .description("print a photo's 64-bit perceptual hash (16 hex digits, compatible with Python imagehash.phash)")
    .argument('<file>')
    .action(async (file: string) => {
      const { format } = await detectFile(file, DEFAULT_LIMITS);
      if (!isImageFormat(format)) throw new CustodyError('UNSUPPORTED_FORMAT', `expected a still image, got ${format.toUpperCase()} video`);
      const bytes = readFileSync(file);
      await probeImage(bytes, format);
      const r = await decodeImage(bytes, format);
      out(phashHex(phashPixels(r.data, r.width, r.height, r.channels)));
    });

  const wm = program.command('watermark').description('the invisible watermark on its own');
  wm.command('embed')
    .description('embed a 128-bit payload into an image')
    .argument('<in>')
    .argument('<out>')
    .requiredOption('--payload <hex32>', '32 hex digits')
    .action(async (input: string, output: string, o: { payload: string }) => {
      const payload = parsePayload(o.payload);
      out(await embedWatermarkFile(input, output, payload));
    });
  wm.command('extract')
    .description('print the 32-hex payload of the watermark in an image; exit 1 when none is detected')
    .argument('<in>')
    .option('--json', 'print as JSON')
    .action(async (input: string, o: { json?: boolean }) => {
      const x = await extractWatermarkFile(input);
      const payload = x.detected && x.payload ? Buffer.from(x.payload).toString('hex') : null;
      if (o.json) json({ detected: x.detected, payload, score: x.score, threshold: x.threshold });
      else if (payload) out(payload);
      else err(`no watermark detected (score ${x.score.toFixed(2)}, threshold ${x.threshold})`);
      process.exitCode = payload ? 0 : 1;
    });

  registerWeb(program);
  registerWatch(program);
  registerAuth(program);
  registerUsers(program);
  registerWorkflow(program);
  registerAudit(program);
  registerCert(program);
  registerDirectory(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; usage errors were already printed by commander.
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    if (isCustodyError(e)) {
      err(`error ${e.code}: ${e.message}`);
    } else {
      err(`error INTERNAL: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    process.exitCode = 2;
  }
}

await main(process.argv);
