// What the person at the screen may do, as the desk's authorization policy answers it (whoami's `may`, from
// core/authz): screens offer an action only when the policy allows it, and never keep rules of their own. The checks
// on one item (four-eyes, stage roles) come with the item, as its `can`.
import { desk } from './api.ts';
import { useLoad } from './hooks.ts';

export type May = (useCase: string) => boolean;

export function useMay(): { may: May; user: string | null; ready: boolean } {
  const who = useLoad(() => desk.whoami({}), []);
  const list = who.data?.may ?? [];
  return { may: (u) => list.includes(u), user: who.data?.user?.name ?? null, ready: who.data !== null };
}
