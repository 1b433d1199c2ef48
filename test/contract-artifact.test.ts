// The committed artifact (contracts/ProvenanceRegistry.json) is what the pinned compiler makes of the committed
// source today, and the ABI that core/ledger/registry.ts writes by hand is exactly the compiled one.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Interface } from 'ethers';
import { ARTIFACT, artifactText, compileRegistry, EVM_VERSION, readArtifact, SOLC_VERSION } from '../contracts/build.ts';
import { REGISTRY_ABI } from '../core/ledger/registry.ts';

describe('ProvenanceRegistry artifact', () => {
  it('matches a fresh compile with the pinned solc and EVM version, byte for byte', () => {
    const fresh = compileRegistry();
    expect(fresh.compiler).toEqual({ version: SOLC_VERSION, evmVersion: EVM_VERSION, optimizer: { enabled: true, runs: 200 } });
    expect(fresh.bytecode.length).toBeGreaterThan(1000);
    expect(readFileSync(ARTIFACT, 'utf8')).toBe(artifactText(fresh));
  });

  it('has the ABI that core/ledger/registry.ts declares', () => {
    const canonical = (abi: readonly unknown[]) => new Interface(abi as never).fragments.map((f) => f.format('full')).sort();
    expect(canonical(REGISTRY_ABI)).toEqual(canonical(readArtifact().abi));
  });
});
