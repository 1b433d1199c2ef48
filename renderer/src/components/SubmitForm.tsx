// What an item is submitted (or resubmitted) as: template, classification, compliance flags, embargo, consent.
import { useState, type FormEvent } from 'react';
import type { DeskArgs } from '../../../core/api/desk-api.ts';
import { desk } from '../api.ts';
import { useLoad } from '../hooks.ts';

const CLASSIFICATIONS = ['public', 'internal', 'confidential', 'restricted'] as const;
const FLAGS = [
  ['personal-data', 'Personal data (people can be identified)'],
  ['trademark', 'Trademarks or logos'],
  ['embargo', 'Embargoed'],
  ['export-control', 'Export controlled'],
] as const;

type Values = Omit<DeskArgs<'submit'>, 'id'>;

export function SubmitForm({ mode, busy, onSubmit }: { mode: 'submit' | 'resubmit'; busy: boolean; onSubmit: (v: Values) => void }) {
  const templates = useLoad(() => (mode === 'submit' ? desk.templates({}) : Promise.resolve([])), [mode]);
  const [template, setTemplate] = useState('news');
  const [classification, setClassification] = useState<(typeof CLASSIFICATIONS)[number]>('internal');
  const [flags, setFlags] = useState<string[]>([]);
  const [embargo, setEmbargo] = useState('');
  const [consent, setConsent] = useState('');
  const [note, setNote] = useState('');

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const v: Values = { classification, flags: flags as Values['flags'], note: note || null, consent: consent || null };
    if (mode === 'submit') v.template = template;
    if (embargo) v.embargo = new Date(embargo).toISOString();
    onSubmit(v);
  };
  const toggle = (f: string) => setFlags((xs) => (xs.includes(f) ? xs.filter((x) => x !== f) : [...xs, f]));

  return (
    <form className="submit-form" onSubmit={submit} aria-label={mode === 'submit' ? 'Submit for approval' : 'Resubmit'}>
      {mode === 'submit' && (
        <label>
          Workflow
          <select value={template} onChange={(e) => setTemplate(e.target.value)}>
            {(templates.data ?? [{ template: { name: 'news', description: '' } }]).map((t) => (
              <option key={t.template.name} value={t.template.name}>
                {t.template.name}
                {t.template.description ? ` — ${t.template.description}` : ''}
              </option>
            ))}
          </select>
        </label>
      )}
      <label>
        Classification
        <select value={classification} onChange={(e) => setClassification(e.target.value as typeof classification)}>
          {CLASSIFICATIONS.map((c) => <option key={c} value={c}>{c}</option>)}
        </select>
      </label>
      <fieldset>
        <legend>Compliance</legend>
        {FLAGS.map(([f, text]) => (
          <label key={f} className="check">
            <input type="checkbox" checked={flags.includes(f)} onChange={() => toggle(f)} /> {text}
          </label>
        ))}
      </fieldset>
      {flags.includes('embargo') && (
        <label>
          Embargo until
          <input type="datetime-local" value={embargo} required onChange={(e) => setEmbargo(e.target.value)} />
        </label>
      )}
      {flags.includes('personal-data') && (
        <label>
          Consent reference
          <input value={consent} placeholder="e.g. release form 2025-114" onChange={(e) => setConsent(e.target.value)} />
        </label>
      )}
      <label>
        Note for reviewers
        <textarea rows={2} value={note} onChange={(e) => setNote(e.target.value)} />
      </label>
      <button type="submit" className="primary" disabled={busy}>
        {mode === 'submit' ? 'Submit for approval' : 'Resubmit'}
      </button>
    </form>
  );
}
