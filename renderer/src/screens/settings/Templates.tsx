// Workflow templates: the stages each item goes through, their roles, quorum and compliance checks, as JSON that
// admins can edit (the desk validates it and keeps every version in the audit log).
import { useEffect, useState } from 'react';
import type { DeskArgs } from '../../../../core/api/desk-api.ts';
import { desk, errorText } from '../../api.ts';
import { Alert } from '../../components/Alert.tsx';
import { dateTime } from '../../format.ts';
import { useLoad } from '../../hooks.ts';

export function Templates({ isAdmin }: { isAdmin: boolean }) {
  const list = useLoad(() => desk.templates({}), []);
  const [selected, setSelected] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const current = list.data?.find((t) => t.template.name === selected) ?? list.data?.[0] ?? null;

  useEffect(() => {
    if (current) setText(JSON.stringify(current.template, null, 2));
  }, [current?.template.name, current?.version]);

  const save = () => {
    let template: DeskArgs<'templateSave'>['template'];
    try {
      template = JSON.parse(text) as typeof template;
    } catch (e) {
      return setError(`expected JSON, got text that does not parse: ${(e as Error).message}`);
    }
    desk.templateSave({ template }).then((t) => {
      setError(null);
      setNotice(`Saved ${t.template.name}, version ${t.version}.`);
      setSelected(t.template.name);
      list.reload();
    }, (e: unknown) => setError(errorText(e)));
  };

  return (
    <div className="two-col templates">
      <ul className="plain" aria-label="Templates">
        {list.data?.map((t) => (
          <li key={t.template.name}>
            <button aria-current={t.template.name === current?.template.name ? 'true' : undefined} onClick={() => setSelected(t.template.name)}>
              <strong>{t.template.name}</strong> v{t.version}
              <small className="muted"> {t.template.stages.map((s) => s.id).join(' → ')}</small>
            </button>
          </li>
        ))}
      </ul>
      <div>
        {current && (
          <p className="muted">
            {current.template.description} Version {current.version}, saved {dateTime(current.updatedAt)} by {current.updatedBy}.
          </p>
        )}
        <label>
          Definition
          <textarea className="code" rows={18} value={text} readOnly={!isAdmin} spellCheck={false} onChange={(e) => setText(e.target.value)} />
        </label>
        {isAdmin && <button className="primary" onClick={save}>Save template</button>}
        <small className="muted"> Save under a new "name" to create another template.</small>
        <Alert text={notice} kind="ok" />
        <Alert text={error ?? list.error} />
      </div>
    </div>
  );
}
