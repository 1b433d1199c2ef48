#!/usr/bin/env node
// Compiles the `custody` command to JavaScript in out/cli/ (npm's `prepare`, so `npm install` does it, and
// `npm run build:cli`): one esbuild pass over cli/main.ts and the three worker scripts, npm packages left outside (native
// sharp and better-sqlite3, c2pa-wasm's .wasm), each command's module in chunks of its own so that only the command
// being run is loaded. out/cli/build.json lists every source the build read with its size and modification time:
// bin/custody.js runs the compiled command only while they all still match (compiled-cli.js). out/cli/start.json holds
// what `custody --version` and `--help` print (cli/start-texts.ts, run once compiled) with the sources that text comes
// from: those of main.js and of the chunks it imports statically, the command modules excepted.
//
//   node scripts/build-cli.js [--outdir DIR] [--prepare]     --prepare: a failed build warns and exits 0 (the
//                                                            command then runs from the sources through tsx)
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BUILD_INFO, START_INFO } from '../bin/compiled-cli.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The entry points, by output name; the workers must sit beside the chunks that start them (new URL('./x.js')). */
const ENTRIES = {
  main: 'cli/main.ts',
  'start-texts': 'cli/start-texts.ts',
  'pixel-worker': 'core/media/pixel-worker.js',
  'phash-worker': 'core/media/video/phash-worker.js',
  'sign-worker': 'core/provenance/sign-worker.js',
};

/**
 * Every npm package stays outside the bundle (loaded from node_modules), except `inline`: pure JavaScript that every
 * start needs (commander), which then costs one file read instead of a resolution and a CommonJS load per file.
 */
function externalPackagesBut(inline) {
  return {
    name: 'external-packages',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (a) => (inline.some((p) => a.path === p || a.path.startsWith(`${p}/`)) ? undefined : { path: a.path, external: true }));
    },
  };
}

/** The sources in the outputs `entries` (metafile paths) and in the chunks they import statically, transitively. */
function staticInputs(metafile, entries) {
  const inputs = new Set();
  const seen = new Set();
  const visit = (output) => {
    if (seen.has(output)) return;
    seen.add(output);
    const o = metafile.outputs[output];
    for (const file of Object.keys(o.inputs)) inputs.add(file);
    for (const i of o.imports) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  entries.forEach(visit);
  return inputs;
}

/** Builds into `outdir` (replaced whole, so that no chunk of an older build lingers); returns build.json's content. */
export async function buildCli({ root = ROOT, outdir = join(root, 'out', 'cli') } = {}) {
  const { build } = await import('esbuild');
  const staging = `${outdir}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    const result = await build({
      absWorkingDir: root,
      entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(root, file)])),
      outdir: staging,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node22',
      plugins: [externalPackagesBut(['commander'])],
      sourcemap: 'linked',
      metafile: true,
      logLevel: 'warning',
    });
    const inputs = {};
    for (const file of Object.keys(result.metafile.inputs)) {
      const s = statSync(join(root, file));
      inputs[file] = [s.size, s.mtimeMs];
    }
    const info = { builtAt: new Date().toISOString(), inputs };
    writeFileSync(join(staging, BUILD_INFO), `${JSON.stringify(info, null, 1)}\n`);
    // The texts as the compiled program prints them, in a process of its own (a fresh commander, this one's argv)
    const entryOut = (name) => relative(root, join(staging, `${name}.js`)).split('\\').join('/');
    const startInputs = Object.fromEntries([...staticInputs(result.metafile, ['main', 'start-texts'].map(entryOut))].sort().map((f) => [f, inputs[f]]));
    const code = `process.stdout.write(JSON.stringify(await (await import(${JSON.stringify(pathToFileURL(join(staging, 'start-texts.js')).href)})).startTexts()))`;
    const texts = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' }));
    writeFileSync(join(staging, START_INFO), `${JSON.stringify({ inputs: startInputs, ...texts }, null, 1)}\n`);
    const old = `${staging}.old`;
    try {
      renameSync(outdir, old);
    } catch {
      // first build
    }
    renameSync(staging, outdir);
    rmSync(old, { recursive: true, force: true });
    return info;
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--outdir');
  const outdir = at >= 0 && args[at + 1] ? resolve(args[at + 1]) : undefined;
  const started = performance.now();
  try {
    const info = await buildCli(outdir ? { outdir } : {});
    const where = relative(process.cwd(), outdir ?? join(ROOT, 'out', 'cli')) || '.';
    console.log(`custody: compiled ${Object.keys(info.inputs).length} sources to ${where} in ${Math.round(performance.now() - started)} ms`);
  } catch (e) {
    if (!args.includes('--prepare')) throw e;
    console.warn(`custody: the command could not be compiled (${e?.message ?? e}); it will run from the TypeScript sources, more slowly`);
  }
}
