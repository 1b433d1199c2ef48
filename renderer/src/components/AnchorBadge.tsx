// Where an item stands with the organisation's hub (issue 17): waiting to be sent, in the hub's log, anchored on
// chain at a time with its reference, or refused with the hub's reason. A desk without a hub says so quietly.
import type { DeskResult } from '../../../core/api/desk-api.ts';
import { dateTime, shortHash } from '../format.ts';

type Anchor = DeskResult<'items'>[number]['anchor'];

export const ANCHOR_LABEL: Record<Anchor['state'], string> = {
  local: 'Not on a hub',
  pending: 'Anchoring pending',
  logged: 'In the hub log',
  anchored: 'Anchored',
  refused: 'Refused by the hub',
};

export function AnchorBadge({ anchor, long = false }: { anchor: Anchor; long?: boolean }) {
  let text = ANCHOR_LABEL[anchor.state];
  if (anchor.state === 'anchored') text = `Anchored ${dateTime(anchor.at)}`;
  if (anchor.state === 'refused' && long) text = `Refused by the hub: ${anchor.detail.replace(/^the hub refused it: /, '')}`;
  return (
    <span className={`badge anchor-${anchor.state}`} title={anchor.detail} data-testid="anchor-badge" data-state={anchor.state}>
      {text}
      {long && anchor.state === 'anchored' && (
        <> · chain {anchor.chain.chainId}, block {anchor.chain.block}, tx <code title={anchor.chain.tx}>{shortHash(anchor.chain.tx, 10)}</code></>
      )}
    </span>
  );
}
