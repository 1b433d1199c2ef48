// Workflow templates are data (DESIGN.md "Approve"): ordered stages, each with the roles that may act, a quorum,
// when it applies, and the compliance checks that gate its approval. Stored in the desk database, edited by admins.
import { authorizeActor } from '../authz/policy.ts';
import { z } from 'zod';
import type { AuditLog } from '../audit/log.ts';
import type { Actor, Role } from '../directory/roles.ts';
import { ROLES } from '../directory/roles.ts';
import { CustodyError } from '../errors.ts';
import { sql, type ReadableDB, type WritableDB } from '../store/db.ts';

export const CLASSIFICATIONS = ['public', 'internal', 'confidential', 'restricted'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

export const FLAGS = ['personal-data', 'trademark', 'embargo', 'export-control'] as const;
export type Flag = (typeof FLAGS)[number];

/** Compliance checks a stage can require before it approves. consent: personal data needs a consent reference. */
export const STAGE_CHECKS = ['consent'] as const;
export type StageCheck = (typeof STAGE_CHECKS)[number];

const roles = z.array(z.enum(ROLES)).min(1).max(ROLES.length);
const id = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'expected a lowercase name of letters, digits and "-"');

export const StageSchema = z.strictObject({
  id,
  roles,
  quorum: z.int().min(1).max(20),
  /** The stage applies when any listed flag is set or the classification is listed; without `when`, always. */
  when: z
    .strictObject({ flags: z.array(z.enum(FLAGS)).optional(), classifications: z.array(z.enum(CLASSIFICATIONS)).optional() })
    .optional(),
  checks: z.array(z.enum(STAGE_CHECKS)).optional(),
});

export const TemplateSchema = z
  .strictObject({
    name: id,
    description: z.string().max(500).optional(),
    /** Who may submit and resubmit (withdrawing is for whoever submitted, or an admin). */
    submitRoles: roles,
    /** Who may publish an approved item. */
    publishRoles: roles,
    stages: z.array(StageSchema).min(1).max(20),
  })
  .superRefine((t, ctx) => {
    const seen = new Set<string>();
    for (const [i, s] of t.stages.entries()) {
      if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path: ['stages', i, 'id'], message: `expected stage names to be unique, got "${s.id}" twice` });
      seen.add(s.id);
    }
    if (!t.stages.some((s) => s.when === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['stages'], message: 'expected at least one stage that always applies (no "when"), got none' });
    }
  });

export type StageDef = z.infer<typeof StageSchema>;
export type WorkflowTemplate = z.infer<typeof TemplateSchema>;

export const DEFAULT_TEMPLATE = 'news';

export function parseTemplate(x: unknown): WorkflowTemplate {
  const r = TemplateSchema.safeParse(x);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
    throw new CustodyError('INVALID_ARGUMENT', `expected a valid workflow template: ${issues}`);
  }
  return r.data;
}

/** The stages an item goes through, in order, given what it was submitted as. */
export function routeFor(t: WorkflowTemplate, classification: Classification, flags: readonly Flag[]): string[] {
  return t.stages
    .filter((s) => !s.when || (s.when.flags ?? []).some((f) => flags.includes(f)) || (s.when.classifications ?? []).includes(classification))
    .map((s) => s.id);
}

export const hasAnyRole = (have: readonly Role[], want: readonly Role[]): boolean => have.some((r) => want.includes(r));

export interface TemplateInfo {
  template: WorkflowTemplate;
  version: number;
  updatedAt: string;
  updatedBy: string;
}

interface Row {
  name: string;
  definition: string;
  version: number;
  updated_at: string;
  updated_by: string;
}

const fromRow = (r: Row): TemplateInfo => ({
  template: parseTemplate(JSON.parse(r.definition)),
  version: r.version,
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
});

export function getTemplate(db: ReadableDB, name: string): TemplateInfo | null {
  const r = db.get<Row>(sql`SELECT * FROM workflow_templates WHERE name = ${name}`);
  return r ? fromRow(r) : null;
}

export function listTemplates(db: ReadableDB): TemplateInfo[] {
  return db.all<Row>(sql`SELECT * FROM workflow_templates ORDER BY name`).map(fromRow);
}

/** Creates or replaces a template (admins only), with its audit entry, in one transaction. */
export function saveTemplate(db: WritableDB, audit: AuditLog, by: Actor, definition: unknown, now = new Date()): TemplateInfo {
  authorizeActor('templateSave', by);
  const t = parseTemplate(definition);
  const at = now.toISOString();
  return audit.act(() => {
    const before = getTemplate(db, t.name);
    const version = (before?.version ?? 0) + 1;
    db.run(sql`INSERT INTO workflow_templates (name, definition, version, updated_at, updated_by) VALUES (${t.name}, ${JSON.stringify(t)}, ${version}, ${at}, ${by.name})
               ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, version = excluded.version, updated_at = excluded.updated_at, updated_by = excluded.updated_by`);
    // The whole definition goes into the entry: the log alone then shows what every version said.
    audit.append({ actor: by.name, action: 'template.saved', subject: t.name, details: { version, template: t }, at });
    return { template: t, version, updatedAt: at, updatedBy: by.name };
  });
}
