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
 * `use(false)` turns it off and `use(true)` on again, saying whether it loads (tests compare each kernel with the
 * JavaScript it stands in for, and a kernel that did not load would leave them comparing the JavaScript with itself).
 */
export interface LazyKernel<K> {
  get(): K | null;
  /** Returns whether the kernel now runs: false when turned off, or when it does not load. */
  use(on: boolean): boolean;
}

export function lazyKernel<T, K = T>(base64: string, setUp: (exports: T) => K = (e) => e as unknown as K): LazyKernel<K> {
  let k: K | null | undefined;
  const get = (): K | null => {
    if (k === undefined) {
      const e = loadKernel<T>(base64);
      k = e && setUp(e);
    }
    return k;
  };
  return {
    get,
    use(on) {
      k = on ? undefined : null;
      return on && get() !== null;
    },
  };
}

/** Grows `memory` to at least `bytes`. */
export function growMemory(memory: WebAssembly.Memory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
}
