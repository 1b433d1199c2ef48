// A modal dialog (the browser's own <dialog>, opened with showModal: focus stays inside, Escape closes it, the page
// behind is inert), for a question that must be answered before going on.
import { useEffect, useRef, type ReactNode } from 'react';

export function Modal({ title, onClose, children, testId }: { title: string; onClose: () => void; children: ReactNode; testId?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className="card modal"
      aria-labelledby="modal-h"
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <h2 id="modal-h">{title}</h2>
      {children}
    </dialog>
  );
}
