// Desktop notifications for watched folders, coalesced: a card of 300 photos is one notification, not 300.
import { Notification } from 'electron';
import type { WatchOutcome } from '../../core/watch/engine.ts';

const WINDOW_MS = 3000;

export class WatchNotifier {
  #pending: WatchOutcome[] = [];
  #timer: NodeJS.Timeout | null = null;
  readonly #onClick: () => void;

  constructor(onClick: () => void) {
    this.#onClick = onClick;
  }

  push(o: WatchOutcome): void {
    this.#pending.push(o);
    this.#timer ??= setTimeout(() => this.#flush(), WINDOW_MS);
  }

  #flush(): void {
    this.#timer = null;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0 || !Notification.isSupported()) return;
    const signed = batch.filter((o) => o.status === 'signed');
    const refused = batch.filter((o) => o.status !== 'signed');
    const name = (o: WatchOutcome) => o.path.split('/').pop() ?? o.path;
    const title =
      batch.length === 1 ? `${signed.length ? 'Signed' : batch[0]!.status === 'duplicate' ? 'Already signed' : 'Rejected'} ${name(batch[0]!)}`
        : `${signed.length} signed${refused.length ? `, ${refused.length} set aside` : ''}`;
    const body = refused.length
      ? refused.slice(0, 3).map((o) => `${name(o)}: ${o.error?.message ?? o.status}`).join('\n')
      : `From ${[...new Set(batch.map((o) => o.folder))].join(', ')}`;
    const n = new Notification({ title, body, silent: refused.length === 0 });
    n.on('click', this.#onClick);
    n.show();
  }

  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending = [];
  }
}
