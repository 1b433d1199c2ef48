// A package's exports loaded on first use, for the heavy ones only some commands touch: the X.509 and PKI
// libraries (@peculiar/x509 with its ASN.1 schemas, pkijs and asn1js) cost a fresh `custody sign` about 0.45 s of
// CPU to load, for certificates it does not parse (credentials.ts keeps them as bytes when signing). `load` is a
// synchronous require (made with createRequire where the package is named, so that bundlers and Node resolve it
// from the calling module); property reads on the returned object go to the loaded exports.
export function lazyPackage<T extends object>(load: () => T): T {
  let loaded: T | undefined;
  const get = (): T => (loaded ??= load());
  return new Proxy({} as T, {
    get: (_, key) => Reflect.get(get(), key),
    has: (_, key) => Reflect.has(get(), key),
    ownKeys: () => Reflect.ownKeys(get()),
    getOwnPropertyDescriptor: (_, key) => {
      const d = Reflect.getOwnPropertyDescriptor(get(), key);
      // the proxy's target is a plain extensible object: a descriptor may not claim non-configurable for it
      return d && { ...d, configurable: true };
    },
  });
}
