// Choosing a folder where the desk has no native dialog (web mode): the sub-folders under the allowed roots, one
// level at a time, listed by the desk itself (folderList), which never lists anything outside the roots. The path
// picked fills the form's field and is judged again, like a typed one, when the folder is added.
import { useState } from 'react';
import { desk } from '../api.ts';
import { useLoad } from '../hooks.ts';
import { Alert } from './Alert.tsx';
import { Modal } from './Modal.tsx';

export function FolderPicker({ title, onPick, onClose }: { title: string; onPick: (path: string) => void; onClose: () => void }) {
  const [at, setAt] = useState<string | null>(null);
  const listing = useLoad(() => desk.folderList(at ? { path: at } : {}), [at]);
  const l = listing.data;
  return (
    <Modal title={title} onClose={onClose} testId="folder-picker">
      <p className="muted" data-testid="folder-picker-at">{l?.path ?? 'Allowed root folders'}</p>
      <Alert text={listing.error} />
      {l && l.path === null && l.roots.length === 0 && (
        <p className="muted">No allowed root folders are set: an admin sets them in Settings → Organisation.</p>
      )}
      <ul className="folder-list" aria-label="Folders">
        {l?.path !== null && l !== null && (
          <li>
            <button type="button" className="link" onClick={() => setAt(l.parent)}>↑ Up</button>
          </li>
        )}
        {l?.folders.map((f) => (
          <li key={f.path}>
            <button type="button" className="link" onClick={() => setAt(f.path)}>{l.path === null ? f.name : `${f.name}/`}</button>
          </li>
        ))}
        {l && l.path !== null && l.folders.length === 0 && <li className="muted">No sub-folders.</li>}
        {l && l.truncated > 0 && <li className="muted">… and {l.truncated} more</li>}
      </ul>
      <div className="buttons">
        <button type="button" className="primary" disabled={!l?.path} onClick={() => l?.path && onPick(l.path)}>
          Choose this folder
        </button>
        <button type="button" onClick={onClose}>Cancel</button>
      </div>
    </Modal>
  );
}
