// Hardhat 3 for the registry contract's tests and a local chain (`npx hardhat node`). It compiles with the npm
// `solc` package's soljson.js (no compiler download: the machines here reach no compiler host) at the version and
// EVM version contracts/build.ts pins; the tests themselves deploy the committed artifact (contracts/build.ts).
import { createRequire } from 'node:module';
import { defineConfig } from 'hardhat/config';
import { EVM_VERSION, OPTIMIZER, SOLC_VERSION } from './contracts/build.ts';

const require = createRequire(import.meta.url);

export default defineConfig({
  solidity: {
    version: SOLC_VERSION.split('+')[0]!,
    path: require.resolve('solc/soljson.js'),
    settings: { evmVersion: EVM_VERSION, optimizer: OPTIMIZER },
  },
  networks: {
    default: { type: 'edr-simulated', chainType: 'l1', hardfork: EVM_VERSION },
  },
});
