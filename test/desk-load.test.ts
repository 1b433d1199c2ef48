// What opening a desk loads: every command that opens one (`custody sign` above all, docs/speed.md "A fresh
// signature") pays for each npm package core/desk.ts reaches through static imports. The heavy ones only some commands
// need stay behind dynamic imports or lazyPackage: ethers (the chain check, core/sync/chain-check.ts), the X.509 and
// CMS libraries (core/c2pa/x509.ts, pkijs.ts) and the LDAP client (core/directory/ldapts.ts). Read from esbuild's
// metafile of core/desk.ts bundled as the command is (scripts/build-cli.js), so a static import that pulls one in fails
// here, not as a slower start nobody notices.
import { build, type Metafile } from 'esbuild';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.ts';

/** The npm packages the entry's output and the chunks it imports statically import statically themselves. */
function staticPackages(metafile: Metafile, entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (output: string): void => {
    if (seen.has(output)) return;
    seen.add(output);
    for (const i of metafile.outputs[output]!.imports) {
      if (i.kind !== 'import-statement') continue;
      if (i.external) packages.add(i.path.startsWith('@') ? i.path.split('/').slice(0, 2).join('/') : i.path.split('/')[0]!);
      else visit(i.path);
    }
  };
  visit(entry);
  return packages;
}

describe('what opening a desk loads', () => {
  it('reaches no heavy package that only some commands need through static imports', async () => {
    const r = await build({
      entryPoints: { desk: join(ROOT, 'core', 'desk.ts') },
      bundle: true, splitting: true, format: 'esm', platform: 'node', outdir: join(ROOT, 'out', 'desk-load-test'), write: false, metafile: true, logLevel: 'silent',
      plugins: [{ name: 'external-packages', setup: (b) => b.onResolve({ filter: /^[^./]/ }, (a) => ({ path: a.path, external: true })) }],
    });
    const entry = Object.keys(r.metafile.outputs).find((o) => r.metafile.outputs[o]!.entryPoint?.endsWith('core/desk.ts'))!;
    const packages = staticPackages(r.metafile, entry);
    // the check can see packages: the desk's own needs are there
    expect(packages).toContain('better-sqlite3');
    for (const heavy of ['ethers', '@peculiar/x509', 'pkijs', 'asn1js', 'ldapts']) expect(packages, heavy).not.toContain(heavy);
  }, 60_000);
});
