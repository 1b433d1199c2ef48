// The worker side of sign-pool.ts: renders one photo, asking the key holder for its signatures over the job's port.
import type { MessagePort } from 'node:worker_threads';
import { CustodyError } from '../errors.ts';
import { renderSignedImage, type RenderHost, type Rendered } from './render-image.ts';
import type { HostAnswer, HostRequest, SignJob } from './sign-pool.ts';

type Pending = Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>;

function caller(port: MessagePort): { call: (c: HostRequest) => Promise<unknown> } {
  const pending: Pending = new Map();
  let next = 0;
  port.on('message', (a: HostAnswer) => {
    const p = pending.get(a.id);
    if (!p) return;
    pending.delete(a.id);
    if ('error' in a) p.reject(a.code ? new CustodyError(a.code, a.error) : new Error(a.error));
    else p.resolve(a.result);
  });
  return {
    call: (c) =>
      new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        port.postMessage({ ...c, id });
      }),
  };
}

export async function runSignJob(job: SignJob): Promise<Rendered> {
  const { call } = caller(job.port);
  const host: RenderHost = {
    signFingerprint: async (seen) => (await call({ kind: 'fingerprint', seen })) as Awaited<ReturnType<RenderHost['signFingerprint']>>,
    signClaim: async (claim) => (await call({ kind: 'claim', claim })) as Uint8Array,
  };
  try {
    // This worker is one of several sharing the cores: the rows of a large photo stay on its own thread.
    const r = await renderSignedImage(job.request, host, null);
    // A copy of our own, so that it can be moved back whatever allocated it (sharp, c2pa-wasm).
    return { ...r, encoded: new Uint8Array(r.encoded) };
  } finally {
    job.port.close();
  }
}
