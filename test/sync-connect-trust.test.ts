// What a desk takes on trust when it connects to its hub, narrowed.
// 1. A hub reached over plain http hands the enrolment token, the desk's API key and every answer (proofs, verdicts)
// to whoever is on the path: connecting is refused for an http URL to another machine unless the admin accepts it
// (--insecure-http), which the audit log then records. A hub on this machine (127.0.0.1, localhost, [::1]) is not
// on a network path. The hub here is a real one on 127.0.0.1; the "other machine" is its address under another
// name, reached through a fetch that rewrites the host (the network is the only thing stood in for).
// 2. The hub's checkpoint key is pinned at enrolment: the one its admin gave (`--hub-key`, checked before the token
// is used), or else the one it serves then, where it used to be whatever a hub served at the first pull.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntries } from '../core/audit/log.ts';
import type { Desk } from '../core/desk.ts';
import type { Actor } from '../core/directory/roles.ts';
import { isLoopbackUrl } from '../core/sync/hub-client.ts';
import { formatVerifierKey, noteKeyOf, parseVerifierKey } from '../core/tlog/note.ts';
import { freshDesk, runCli } from './helpers/cli.ts';
import { inProcessHub, type TestHub } from './helpers/sync-hub.ts';
import { tempDesk } from './helpers/desk.ts';

const ADMIN: Actor = { name: 'desk', roles: ['admin'] };
const REMOTE = 'http://hub.newsroom.test:8080';

let hub: TestHub;
beforeAll(async () => {
  hub = await inProcessHub('Daily Planet');
}, 60_000);
afterAll(async () => {
  await hub?.close();
});

/** fetch that sends requests for REMOTE to the real hub, counting them. */
function remoteFetch(): { fetch: typeof fetch; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    fetch: (input, init) => {
      const url = String(input);
      calls.push(url);
      return fetch(url.replace(REMOTE, hub.url), init);
    },
  };
}

const connected = (desk: Desk) => [...auditEntries(desk.store)].filter((e) => e.action === 'hub.connected');

describe('plain-http hub URLs', { timeout: 60_000 }, () => {
  it('refuses an http URL to another machine before sending anything, and keeps no link', async () => {
    const desk = await tempDesk('Daily Planet');
    const token = await hub.enrolmentToken();
    const net = remoteFetch();
    const e = await desk.hub.connect(ADMIN, { url: REMOTE, token, name: 'field desk' }, { fetch: net.fetch }).then(() => null, (err: unknown) => err as { code: string; message: string });
    expect(e?.code).toBe('INVALID_ARGUMENT');
    expect(e?.message).toMatch(/expected an https URL for a hub on another machine/);
    expect(net.calls).toEqual([]);
    expect(desk.hub.link).toBeNull();
    // the token never left: the same token still enrols the desk once the admin accepts plain http
    const link = await desk.hub.connect(ADMIN, { url: REMOTE, token, name: 'field desk', plainHttp: true }, { fetch: net.fetch });
    expect(link.url).toBe(REMOTE);
    expect(net.calls).toEqual([`${REMOTE}/v1/log/key`, `${REMOTE}/v1/enrol`]);
    expect(connected(desk).map((a) => a.details)).toEqual([expect.objectContaining({ url: REMOTE, plainHttp: true })]);
    desk.close();
  });

  it('connects to a hub on this machine over http without the flag, and the audit entry does not call it insecure', async () => {
    const desk = await tempDesk('Daily Planet');
    expect(hub.url.startsWith('http://127.0.0.1:')).toBe(true);
    await desk.hub.connect(ADMIN, { url: hub.url, token: await hub.enrolmentToken(), name: 'local desk' });
    expect(connected(desk)).toHaveLength(1);
    expect(connected(desk)[0]!.details).not.toHaveProperty('plainHttp');
    desk.close();
  });

  it('tells loopback hosts from others', () => {
    for (const u of ['http://127.0.0.1:8080', 'http://127.1.2.3', 'http://localhost:3000', 'http://[::1]:8080']) expect(isLoopbackUrl(u), u).toBe(true);
    for (const u of ['http://10.0.0.5', 'http://127.0.0.1.nip.io', 'http://localhost.example.org', 'http://[::2]', 'http://128.0.0.1']) expect(isLoopbackUrl(u), u).toBe(false);
  });

  it('custody hub connect: refused without --insecure-http (exit 2), tried with it', async () => {
    const env = await freshDesk('Daily Planet');
    const refused = await runCli(['hub', 'connect', 'http://hub.invalid:9', '--enrolment-token', 'token-0123456789'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/INVALID_ARGUMENT.*https URL/);
    const tried = await runCli(['hub', 'connect', 'http://hub.invalid:9', '--enrolment-token', 'token-0123456789', '--insecure-http'], env);
    expect(tried.code).not.toBe(0);
    expect(tried.stderr).toMatch(/HUB_UNREACHABLE/);
  });
});

const servedKey = async (): Promise<string> => ((await (await fetch(`${hub.url}/v1/log/key`)).json()) as { key: string }).key;

describe("the hub's checkpoint key, pinned at enrolment", { timeout: 60_000 }, () => {
  it('pins the key the hub serves when the admin gave none, before any proof is pulled', async () => {
    const desk = await tempDesk('Daily Planet');
    await desk.hub.connect(ADMIN, { url: hub.url, token: await hub.enrolmentToken(), name: 'tofu desk' });
    expect(desk.hub.status().proofs.logKey).toBe(await servedKey());
    expect(connected(desk)[0]!.details).toMatchObject({ logKey: await servedKey(), logKeyGiven: false });
    desk.close();
  });

  it('enrols with the key the admin gave when the hub serves it', async () => {
    const desk = await tempDesk('Daily Planet');
    const key = await servedKey();
    await desk.hub.connect(ADMIN, { url: hub.url, token: await hub.enrolmentToken(), name: 'pinned desk', hubKey: ` ${key}\n` });
    expect(desk.hub.status().proofs.logKey).toBe(key);
    expect(connected(desk)[0]!.details).toMatchObject({ logKey: key, logKeyGiven: true });
    desk.close();
  });

  it('refuses, before the token is used, a hub that serves another key than the one given', async () => {
    const desk = await tempDesk('Daily Planet');
    const real = parseVerifierKey(await servedKey());
    const other = formatVerifierKey(noteKeyOf(real.name, new Uint8Array(32).fill(9)));
    const token = await hub.enrolmentToken();
    const e = await desk.hub.connect(ADMIN, { url: hub.url, token, name: 'wary desk', hubKey: other }).then(() => null, (err: unknown) => err as { code: string; message: string });
    expect(e?.code).toBe('CHECKPOINT_WRONG_KEY');
    expect(e?.message).toContain(`got ${await servedKey()}`);
    expect(desk.hub.link).toBeNull();
    expect(desk.hub.status().proofs.logKey).toBeNull();
    // the token was not spent on the wrong hub
    await desk.hub.connect(ADMIN, { url: hub.url, token, name: 'wary desk', hubKey: await servedKey() });
    expect(desk.hub.link).not.toBeNull();
    desk.close();
  });

  it('refuses a key that does not parse, naming the expected form', async () => {
    const desk = await tempDesk('Daily Planet');
    const e = await desk.hub.connect(ADMIN, { url: hub.url, token: await hub.enrolmentToken(), name: 'typo desk', hubKey: 'custody-hub+12345678' }).then(() => null, (err: unknown) => err as { code: string; message: string });
    expect(e).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/name\+id\+key/) });
    desk.close();
  });
});
