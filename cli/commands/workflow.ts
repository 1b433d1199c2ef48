// The approval workflow from the command line: submit, approve, reject, request-changes, resubmit, withdraw,
// publish, status, and `templates` (list, show, set). ITEM is the record id printed by `custody sign`.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { CustodyError } from '../../core/errors.ts';
import { parseClassification, parseFlags } from '../../core/workflow/events.ts';
import type { ItemStatus } from '../../core/workflow/service.ts';
import { json, out } from '../context.ts';
import { withApi } from '../api.ts';
import { actingFor, openDesk, withActor } from './auth.ts';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function printStatus(s: ItemStatus): void {
  out(`${s.item}: ${s.state}${s.stage ? ` (stage ${s.stage})` : ''}`);
  if (s.classification) out(`  classification ${s.classification}${s.flags.length ? `, flags ${s.flags.join(', ')}` : ''}${s.embargo ? `, embargo until ${s.embargo}` : ''}`);
  if (s.route.length) out(`  route ${s.route.join(' → ')} (template ${s.template})`);
  for (const h of s.history) out(`  ${h.at}  ${h.actor.padEnd(16)} ${h.event}${h.stage ? ` @${h.stage}` : ''}${h.comment ? `: ${h.comment}` : ''}`);
  if (s.publication) out(`  published ${s.publication.output}`);
  out(`  you may: ${s.can.join(', ') || 'nothing'}`);
}

function report(s: ItemStatus, asJson: boolean | undefined): void {
  if (asJson) json(s);
  else printStatus(s);
}

interface SubmitFlags {
  template?: string;
  classification?: string;
  flag: string[];
  embargo?: string;
  consent?: string;
  note?: string;
  json?: boolean;
}

/**
 * What submit and resubmit both take from the command line (classification, flags, embargo, consent, note), parsed
 * by core's workflow parsers so that a typo is told in their words before the DeskApi sees it.
 */
function submissionOf(o: SubmitFlags) {
  return {
    ...(o.classification !== undefined ? { classification: parseClassification(o.classification) } : {}),
    flags: parseFlags(o.flag),
    embargo: o.embargo ?? null,
    consent: o.consent ?? null,
    note: o.note ?? null,
  };
}

export function register(program: Command): void {
  const metadataOptions = (c: Command) =>
    c
      .option('--classification <level>', 'public, internal, confidential or restricted')
      .option('--flag <flag>', 'personal-data, trademark, embargo or export-control (repeatable)', collect, [])
      .option('--embargo <iso-time>', 'not before this time (implies --flag embargo), e.g. 2025-06-01T09:00:00Z')
      .option('--consent <ref>', 'consent reference for personal data')
      .option('--note <text>', 'a note for the reviewers')
      .option('--json', 'print the item status as JSON');

  metadataOptions(
    program
      .command('submit')
      .description('submit a signed item for approval (role editor in the default template)')
      .argument('<item>', 'record id from `custody sign`')
      .option('--template <name>', 'workflow template', 'news'),
  ).action(async (item: string, o: SubmitFlags) => {
    const s = await withApi('submit', (api) => api.submit({ id: item, ...(o.template !== undefined ? { template: o.template } : {}), ...submissionOf(o) }));
    report(s, o.json);
  });

  metadataOptions(
    program
      .command('resubmit')
      .description('send an item back to review after changes were requested; the options change what it was submitted as')
      .argument('<item>'),
  ).action(async (item: string, o: SubmitFlags) => {
    const s = await withApi('resubmit', (api) => api.resubmit({ id: item, ...submissionOf(o) }));
    report(s, o.json);
  });

  program
    .command('approve')
    .description("approve an item at its current stage (the stage's role; not your own submission)")
    .argument('<item>')
    .option('--comment <text>')
    .option('--json', 'print the item status as JSON')
    .action(async (item: string, o: { comment?: string; json?: boolean }) => {
      report(await withApi('approve', (api) => api.approve({ id: item, comment: o.comment ?? null })), o.json);
    });

  for (const [name, description] of [
    ['reject', 'reject an item at its current stage, for good'],
    ['request-changes', 'send an item back to its submitter with what to change'],
  ] as const) {
    program
      .command(name)
      .description(description)
      .argument('<item>')
      .requiredOption('--comment <text>', 'why')
      .option('--json', 'print the item status as JSON')
      .action(async (item: string, o: { comment: string; json?: boolean }) => {
        const s = await (name === 'reject'
          ? withApi('reject', (api) => api.reject({ id: item, comment: o.comment }))
          : withApi('requestChanges', (api) => api.requestChanges({ id: item, comment: o.comment })));
        report(s, o.json);
      });
  }

  program
    .command('withdraw')
    .description('take an item out of the workflow')
    .argument('<item>')
    .option('--comment <text>')
    .option('--json', 'print the item status as JSON')
    .action(async (item: string, o: { comment?: string; json?: boolean }) => {
      report(await withApi('withdraw', (api) => api.withdraw({ id: item, comment: o.comment ?? null })), o.json);
    });

  program
    .command('publish')
    .description('publish an approved item: writes NAME.published.EXT, a new signed output recording the approvals')
    .argument('<item>')
    .option('--out <dir>', 'folder for the published file (default: beside the signed output)')
    .option('--json', 'print the publication receipt as JSON')
    .action(async (item: string, o: { out?: string; json?: boolean }) => {
      const { receipt, status } = await withActor('publish', (desk, actor) => desk.workflow.publish(actor, item, o.out ? { outDir: o.out } : {}), { keys: true });
      if (o.json) return json({ ...receipt, state: status.state });
      out(`published ${item} → ${receipt.output} (publication ${receipt.publicationId})`);
      for (const a of receipt.approvals) out(`  ${a.stage.padEnd(10)} ${a.by} (${a.role}) at ${a.at}`);
    });

  program
    .command('status')
    .description('where an item is in the workflow, its history, and what you may do with it now')
    .argument('<item>')
    .option('--json', 'print as JSON')
    .action(async (item: string, o: { json?: boolean }) => {
      report((await withApi('item', (api) => api.item({ id: item }))).workflow, o.json);
    });

  const templates = program.command('templates').description('workflow templates (stages, roles, quorum, compliance checks)');
  templates
    .command('list')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const desk = await openDesk();
      try {
        await actingFor(desk, 'templates');
        const list = desk.workflow.templates();
        if (o.json) return json(list);
        for (const t of list) out(`${t.template.name.padEnd(12)} v${t.version}  ${t.template.stages.map((s) => `${s.id}${s.when ? '?' : ''}(${s.roles.join('|')}×${s.quorum})`).join(' → ')}`);
      } finally {
        desk.close();
      }
    });
  templates
    .command('show')
    .argument('<name>')
    .action(async (name: string) => {
      const desk = await openDesk();
      try {
        await actingFor(desk, 'templates');
        json(desk.workflow.template(name).template);
      } finally {
        desk.close();
      }
    });
  templates
    .command('set')
    .description('create or replace a template from a JSON file (admins only)')
    .argument('<file>', 'the template as JSON (see `custody templates show news`)')
    .action(async (file: string) => {
      let definition: unknown;
      try {
        definition = JSON.parse(readFileSync(file, 'utf8'));
      } catch (e) {
        throw new CustodyError('INVALID_ARGUMENT', `expected a JSON template in ${file}, got ${(e as Error).message}`);
      }
      const t = await withActor('templateSave', (desk, actor) => desk.workflow.saveTemplate(actor, definition));
      out(`saved template ${t.template.name} v${t.version}`);
    });
}
