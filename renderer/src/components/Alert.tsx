// An error or a notice, announced to screen readers.
export function Alert({ text, kind = 'error' }: { text: string | null | undefined; kind?: 'error' | 'ok' | 'info' }) {
  if (!text) return null;
  return (
    <p role={kind === 'error' ? 'alert' : 'status'} className={`note ${kind}`}>
      {text}
    </p>
  );
}
