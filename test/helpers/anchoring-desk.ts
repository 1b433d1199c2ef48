// A hub anchoring on the shared mining Hardhat node (a registry deployed, the hub's log registered and its key
// funded) and a desk of its organisation connected to it: the set-up of the tests of the desk's chain check.
import { join } from 'node:path';
import type { Desk } from '../../core/desk.ts';
import { hubChainKeys, initHub, startHub, type RunningHub } from '../../server/serve.ts';
import { deployRegistry, fund, registerLog, type sharedMiningNode } from './chain.ts';
import { TEST_SCRYPT, tempDesk } from './desk.ts';
import { call } from './hub-desk.ts';

/** An admin of a desk without users. */
export const ADMIN = { name: 'desk', roles: ['admin' as const] };

/** The hub's data under `dir`/hub; the desk may read and write under `dir`. */
export async function anchoringHubAndDesk(node: ReturnType<typeof sharedMiningNode>, dir: string, passphrase: string): Promise<{ hub: RunningHub; desk: Desk; contract: string }> {
  const loc = { database: null, dataDir: join(dir, 'hub') };
  const init = await initHub(loc, { org: 'Daily Planet' });
  const registry = await deployRegistry(node.owner);
  const contract = registry.target as string;
  const [k] = await hubChainKeys(loc, passphrase, TEST_SCRYPT);
  await registerLog(registry, k!.origin, k!.address);
  await fund(node.chain, [k!.address]);
  const hub = await startHub(loc, {
    passphrase, scrypt: TEST_SCRYPT, checkpointIntervalMs: 100,
    chain: { rpc: node.chain.url, chainId: 31337, contract, pollMs: 100 },
  });
  const desk = await tempDesk('Daily Planet');
  desk.setAllowedRoots(desk.bootstrapActor()!, [dir]);
  const token = (await call(hub.url, 'POST', '/v1/enrolment-tokens', { token: init.adminKey, json: { label: 'desk' } })).body.token as string;
  await desk.hub.connect(ADMIN, { url: hub.url, token, name: 'photo desk' });
  return { hub, desk, contract };
}
