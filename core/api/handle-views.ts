// DeskApi: each user's Library views (the sort and the saved filters), kept in the desk's settings under the user's
// name, so they follow the person from the desktop app to web mode and back. A user reads and writes only their own.
import { CustodyError } from '../errors.ts';
import { getSetting, setSetting } from '../store/settings.ts';
import type { HandlerContext, Handlers } from './context.ts';
import type { DeskResult } from './desk-api.ts';
import { viewPrefsSchema } from './library-schemas.ts';

type Prefs = DeskResult<'viewPrefs'>;

/** What a user starts with: newest first, and the views a picture desk reaches for. */
export const DEFAULT_VIEWS: Prefs = {
  sort: 'date-desc',
  views: [
    { name: 'Waiting for me', waitingForMe: true },
    { name: 'Not submitted', state: 'unsubmitted' },
    { name: 'In review', state: 'in_review' },
    { name: 'Published', state: 'published' },
  ],
};

const keyFor = (name: string): string => `ui.library_views.${name}`;

export function viewHandlers(ctx: HandlerContext): Handlers<'viewPrefs' | 'viewPrefsSet'> {
  // On a desk without users the one person at it is `desk`; before an unlock there is no one to keep views for.
  const who = (useCase: 'viewPrefs' | 'viewPrefsSet'): string => ctx.as(useCase)?.name ?? 'desk';
  return {
    viewPrefs: () => {
      const kept = getSetting(ctx.desk.store, keyFor(who('viewPrefs')));
      if (!kept) return DEFAULT_VIEWS;
      const parsed = viewPrefsSchema.safeParse(JSON.parse(kept));
      return parsed.success ? parsed.data : DEFAULT_VIEWS;
    },
    viewPrefsSet: (prefs) => {
      const name = who('viewPrefsSet');
      const names = prefs.views.map((v) => v.name.toLowerCase());
      const twice = names.find((n, i) => names.indexOf(n) !== i);
      if (twice) throw new CustodyError('INVALID_ARGUMENT', `expected each saved view to have its own name, got "${twice}" twice`);
      setSetting(ctx.desk.store, keyFor(name), JSON.stringify(prefs));
      return prefs;
    },
  };
}
