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
