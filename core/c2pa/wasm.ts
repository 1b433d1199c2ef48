// Loads c2pa-rs (as @contentauth/c2pa-wasm) once per process and adapts it to Node.
//
// Two things the browser build assumes and Node lacks:
// - `init()` fetches the .wasm by URL; here the module is compiled from the bytes read from the package.
// - `WasmBuilder.sign` reads its source through `FileReaderSync` (a worker-only Web API) over a `Blob`. Node's
//   Blob can only be read asynchronously, so the source is passed as a `BytesBlob` (the two members the wasm
//   calls: `size` and `slice`) and a stand-in `FileReaderSync` hands its bytes back. The stand-in is installed
//   only where no native one exists, and refuses anything but a BytesBlob. (The reader side needs neither:
//   `WasmReader.fromBytes` takes bytes.)
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { initSync, WasmBuilder, WasmReader } from '@contentauth/c2pa-wasm';

export { WasmBuilder, WasmReader };

/** An in-memory stand-in for the `Blob` the wasm reads through `FileReaderSync`. */
export class BytesBlob {
  readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  get size(): number {
    return this.bytes.length;
  }

  slice(start?: number, end?: number): BytesBlob {
    return new BytesBlob(this.bytes.subarray(start, end));
  }
}

class FileReaderSyncStandIn {
  readAsArrayBuffer(blob: unknown): ArrayBuffer {
    if (!(blob instanceof BytesBlob)) {
      throw new TypeError(`FileReaderSync stand-in: expected a BytesBlob, got ${Object.prototype.toString.call(blob)}`);
    }
    const copy = new Uint8Array(blob.bytes.length);
    copy.set(blob.bytes);
    return copy.buffer;
  }
}

const nativeFileReaderSync = typeof (globalThis as { FileReaderSync?: unknown }).FileReaderSync === 'function';

/** The source blob for `WasmBuilder.sign`: a real Blob where FileReaderSync is native (a worker), else a BytesBlob. */
export function sourceBlob(bytes: Uint8Array): Blob {
  if (nativeFileReaderSync) return new Blob([bytes as Uint8Array<ArrayBuffer>]);
  return new BytesBlob(bytes) as unknown as Blob;
}

let ready: Promise<void> | undefined;

/** Instantiates the wasm module on first use; later calls share the same instance. */
export function loadC2pa(): Promise<void> {
  ready ??= (async () => {
    if (!nativeFileReaderSync) {
      (globalThis as { FileReaderSync?: unknown }).FileReaderSync = FileReaderSyncStandIn;
    }
    const wasmPath = createRequire(import.meta.url).resolve('@contentauth/c2pa-wasm/c2pa.wasm');
    // Compiled here (on V8's background threads), then instantiated by initSync: the async init() asks whether it
    // was handed a fetch Request or Response, and those globals load Node's fetch (undici, ~80 ms of CPU) on first touch.
    initSync({ module: await WebAssembly.compile(await readFile(wasmPath)) });
  })().catch((e: unknown) => {
    ready = undefined;
    throw e;
  });
  return ready;
}

/** c2pa-wasm throws plain strings such as `C2pa(JumbfNotFound)`; this gives back the text of any thrown value. */
export function c2paErrorText(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** The error kind inside `C2pa(Kind(...))`, e.g. `JumbfNotFound`, or null when the text has another shape. */
export function c2paErrorKind(e: unknown): string | null {
  const m = /^C2pa\((\w+)/.exec(c2paErrorText(e));
  return m?.[1] ?? null;
}
