// The hub's chain options (`hub serve --chain-rpc URL --chain-id N --chain-contract ADDR`) and `hub chain-keys`,
// which prints each organisation's log id and anchoring address for the contract owner to register and fund
// (docs/anchoring.md "Setting up a chain").
import type { Command } from 'commander';
import { getAddress } from 'ethers';
import { CustodyError } from '../../core/errors.ts';
import type { ChainConfig } from '../../server/anchor/worker.ts';
import { hubChainKeys, type HubLocation } from '../../server/serve.ts';
import { json, out } from '../context.ts';

export interface ChainFlags {
  chainRpc?: string;
  chainId?: number;
  chainContract?: string;
  chainConfirmations?: number;
  chainPoll?: number;
  chainLease?: number;
}

export function addChainOptions(cmd: Command): Command {
  return cmd
    .option('--chain-rpc <url>', 'anchor every checkpoint on the EVM chain at this JSON-RPC URL (with --chain-id and --chain-contract)')
    .option('--chain-id <n>', 'the chain id the RPC must answer', (v) => Number.parseInt(v, 10))
    .option('--chain-contract <address>', 'the ProvenanceRegistry contract address')
    .option('--chain-confirmations <n>', 'blocks deep before a batch counts as anchored (default 2)', (v) => Number.parseInt(v, 10))
    .option('--chain-poll <seconds>', 'how often the anchoring worker looks at the chain (default 1)', (v) => Number.parseFloat(v))
    .option('--chain-lease <seconds>', 'how long a hub process that stopped answering keeps the anchoring lease (default 15)', (v) => Number.parseFloat(v));
}

/** null without --chain-rpc: nothing is anchored and proofs say "not on chain". */
export function chainConfigOf(o: ChainFlags): ChainConfig | null {
  if (!o.chainRpc) {
    if (o.chainId !== undefined || o.chainContract) throw new CustodyError('INVALID_ARGUMENT', 'expected --chain-rpc with --chain-id and --chain-contract, got them without --chain-rpc');
    return null;
  }
  let url: URL;
  try {
    url = new URL(o.chainRpc);
  } catch {
    throw new CustodyError('INVALID_ARGUMENT', `expected an http(s) JSON-RPC URL for --chain-rpc, got ${JSON.stringify(o.chainRpc)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CustodyError('INVALID_ARGUMENT', `expected an http(s) JSON-RPC URL for --chain-rpc, got ${url.protocol}`);
  if (!Number.isInteger(o.chainId) || o.chainId! < 1) throw new CustodyError('INVALID_ARGUMENT', `expected --chain-id as a positive integer, got ${o.chainId}`);
  let contract: string;
  try {
    contract = getAddress(o.chainContract ?? '');
  } catch {
    throw new CustodyError('INVALID_ARGUMENT', `expected --chain-contract as a 0x address of 40 hex digits, got ${JSON.stringify(o.chainContract ?? null)}`);
  }
  const confirmations = o.chainConfirmations ?? 2;
  if (!Number.isInteger(confirmations) || confirmations < 1 || confirmations > 1000) throw new CustodyError('INVALID_ARGUMENT', `expected --chain-confirmations from 1 to 1000, got ${o.chainConfirmations}`);
  const seconds = (v: number | undefined, name: string, dflt: number) => {
    const x = v ?? dflt;
    if (!(x >= 0.05 && x <= 3600)) throw new CustodyError('INVALID_ARGUMENT', `expected ${name} from 0.05 to 3600 seconds, got ${v}`);
    return Math.round(x * 1000);
  };
  return { rpc: o.chainRpc, chainId: o.chainId!, contract, confirmations, pollMs: seconds(o.chainPoll, '--chain-poll', 1), leaseMs: seconds(o.chainLease, '--chain-lease', 15) };
}

export function registerChainKeys(hub: Command, location: (o: { data?: string; database?: string }) => HubLocation, passphrase: () => Promise<string>): void {
  hub
    .command('chain-keys')
    .description("each organisation's log id and anchoring address: the contract owner registers them (setAnchoringKey) and funds the addresses")
    .option('--data <dir>', 'data folder for the embedded SQLite database (default: CUSTODY_HUB_HOME, else ./custody-hub)')
    .option('--database <url>', 'PostgreSQL URL (default: DATABASE_URL; none: SQLite in the data folder)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { data?: string; database?: string; json?: boolean }) => {
      const keys = await hubChainKeys(location(o), await passphrase());
      if (o.json) return json(keys);
      for (const k of keys) out(`${k.tenantId}  ${k.org}\n  origin   ${k.origin}\n  logId    ${k.logId}\n  address  ${k.address}`);
    });
}
