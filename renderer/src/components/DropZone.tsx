// A drop zone that is also a file picker: drop files on it, or activate it (click, Enter, Space) to choose them.
// In the desktop app the picker is the native dialog, which hands over paths instead of File objects.
import { useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import { desk, errorText } from '../api.ts';

export interface Picked {
  name: string;
  file?: File;
  path?: string;
}

interface Props {
  label: string;
  hint?: string;
  multiple?: boolean;
  busy?: boolean;
  /** Smaller, once there are results below it. */
  compact?: boolean;
  nativeDialogs: boolean;
  purpose: 'sign' | 'verify';
  onPick: (picked: Picked[]) => void;
}

export function DropZone({ label, hint, multiple = false, busy = false, compact = false, nativeDialogs, purpose, onPick }: Props) {
  const [over, setOver] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const fromFiles = (files: FileList | null) => {
    const list = Array.from(files ?? []);
    if (list.length) onPick((multiple ? list : list.slice(0, 1)).map((file) => ({ name: file.name, file })));
  };
  const choose = () => {
    if (busy) return;
    if (!nativeDialogs) return input.current?.click();
    desk.pickFiles({ purpose, multiple }).then(
      ({ paths }) => paths.length && onPick(paths.map((path) => ({ name: path.split(/[\\/]/).pop() ?? path, path }))),
      (e: unknown) => setError(errorText(e)),
    );
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    if (!busy) fromFiles(e.dataTransfer.files);
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      choose();
    }
  };

  return (
    <div
      className={`drop${over ? ' over' : ''}${busy ? ' busy' : ''}${compact ? ' compact' : ''}`}
      role="button"
      tabIndex={0}
      aria-label={label}
      aria-disabled={busy}
      onClick={choose}
      onKeyDown={onKey}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <span className="drop-icon" aria-hidden="true">⇪</span>
      <strong>{busy ? 'Working…' : label}</strong>
      {hint && <small>{hint}</small>}
      <input
        ref={input}
        type="file"
        multiple={multiple}
        hidden
        data-testid="file-input"
        onClick={(e) => e.stopPropagation()}
        onChange={(e) => {
          fromFiles(e.target.files);
          e.target.value = '';
        }}
      />
      {error && <p role="alert" className="error">{error}</p>}
    </div>
  );
}
