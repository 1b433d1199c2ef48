// Instantiating the hand-written WebAssembly kernels (the .wat sources beside this file, carried as base64 in their
// .wasm.ts modules): each module is small, so it is compiled synchronously where it is first needed.

/** The exports of the kernel whose module bytes are `base64`, or null where WebAssembly (SIMD) is not available. */
export function loadKernel<T>(base64: string): T | null {
  try {
    return new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(base64, 'base64')), {}).exports as unknown as T;
  } catch {
    return null;
  }
}

/**
 * A kernel loaded where it is first needed, once per thread: `get()` is its exports (through `setUp`, which places
 * what the kernel keeps in its memory), or null where WebAssembly is not available or the kernel is turned off;
 * `use(false)` turns it off and `use(true)` on again (tests compare each kernel with the JavaScript it stands in for).
 */
export interface LazyKernel<K> {
  get(): K | null;
  use(on: boolean): void;
}

export function lazyKernel<T, K = T>(base64: string, setUp: (exports: T) => K = (e) => e as unknown as K): LazyKernel<K> {
  let k: K | null | undefined;
  return {
    get() {
      if (k === undefined) {
        const e = loadKernel<T>(base64);
        k = e && setUp(e);
      }
      return k;
    },
    use(on) {
      k = on ? undefined : null;
    },
  };
}

/** Grows `memory` to at least `bytes`. */
export function growMemory(memory: WebAssembly.Memory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
}
