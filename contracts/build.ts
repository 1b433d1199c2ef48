// Compiles ProvenanceRegistry.sol with the npm `solc` package (the compiler's own WebAssembly build, so no
// download and no native binary) and writes the artifact committed beside it. The compiler version, the EVM
// version and the optimizer settings are pinned here: the same sources always give the same bytecode, and
// test/contract-artifact.test.ts recompiles to check that the committed artifact is that bytecode.
//
//   npm run build:contract
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const SOLC_VERSION = '0.8.37+commit.f401782d';
/** Cancun: supported by EDR, Polygon PoS and every mainstream EVM chain today (Prague is not everywhere yet). */
export const EVM_VERSION = 'cancun';
export const OPTIMIZER = { enabled: true, runs: 200 } as const;
export const SOURCE = 'contracts/ProvenanceRegistry.sol';
export const ARTIFACT = join(ROOT, 'contracts', 'ProvenanceRegistry.json');

export interface RegistryArtifact {
  contractName: 'ProvenanceRegistry';
  sourceName: string;
  compiler: { version: string; evmVersion: string; optimizer: { enabled: boolean; runs: number } };
  abi: unknown[];
  bytecode: string;
  deployedBytecode: string;
}

interface SolcOutput {
  errors?: { severity: 'error' | 'warning' | 'info'; formattedMessage: string }[];
  contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
}

/** Imports resolve from node_modules (@openzeppelin/contracts, pinned in package.json) or the repository. */
function findImport(path: string): { contents: string } | { error: string } {
  try {
    const file = path.startsWith('@') ? require.resolve(path) : join(ROOT, path);
    return { contents: readFileSync(file, 'utf8') };
  } catch (e) {
    return { error: `expected ${path} in node_modules or the repository, got ${(e as Error).message}` };
  }
}

export function compileRegistry(): RegistryArtifact {
  const solc = require('solc') as { version(): string; compile(input: string, opts: { import: typeof findImport }): string };
  if (!solc.version().startsWith(SOLC_VERSION)) throw new Error(`expected solc ${SOLC_VERSION} (package.json pins it), got ${solc.version()}`);
  const input = {
    language: 'Solidity',
    sources: { [SOURCE]: { content: readFileSync(join(ROOT, SOURCE), 'utf8') } },
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: OPTIMIZER,
      outputSelection: { [SOURCE]: { ProvenanceRegistry: ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as SolcOutput;
  const problems = (output.errors ?? []).filter((e) => e.severity !== 'info');
  if (problems.length > 0) throw new Error(`expected a clean compile of ${SOURCE}, got:\n${problems.map((e) => e.formattedMessage).join('\n')}`);
  const c = output.contracts[SOURCE]?.ProvenanceRegistry;
  if (!c) throw new Error(`expected ProvenanceRegistry in the output for ${SOURCE}, got none`);
  return {
    contractName: 'ProvenanceRegistry',
    sourceName: SOURCE,
    compiler: { version: SOLC_VERSION, evmVersion: EVM_VERSION, optimizer: { ...OPTIMIZER } },
    abi: c.abi,
    bytecode: `0x${c.evm.bytecode.object}`,
    deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
  };
}

export function readArtifact(): RegistryArtifact {
  return JSON.parse(readFileSync(ARTIFACT, 'utf8')) as RegistryArtifact;
}

export function artifactText(a: RegistryArtifact): string {
  return `${JSON.stringify(a, null, 2)}\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  writeFileSync(ARTIFACT, artifactText(compileRegistry()));
  console.log(`wrote ${ARTIFACT} (${Math.round(performance.now() - started)} ms)`);
}
