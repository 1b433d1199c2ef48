// The hub's chain options (`hub serve --chain-rpc URL --chain-id N --chain-contract ADDR`), `hub chain-keys`,
// which prints each organisation's log id and anchoring address, and the contract owner's commands `hub chain deploy`
// and `hub chain set-anchoring-key` (docs/anchoring.md "Setting up a chain").
import type { Command } from 'commander';
import { readFileSync, statSync } from 'node:fs';
import { ContractFactory, JsonRpcProvider, Wallet, formatEther, getAddress, parseEther, type InterfaceAbi } from 'ethers';
// A JSON import, not a file read beside the module: the compiled command lives in out/cli, where a path
// relative to contracts/build.ts would point at out/contracts.
import artifact from '../../contracts/ProvenanceRegistry.json' with { type: 'json' };
import type { RegistryArtifact } from '../../contracts/build.ts';
import { CustodyError } from '../../core/errors.ts';
import { registryAt } from '../../core/ledger/registry.ts';
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

/**
 * The owner's Ethereum private key from --key-file: 0x and 64 hex digits, in a file only its owner reads. As ssh does
 * with identity files, a key file that its group or others may read is refused before the key is used: whoever else
 * could read it could deploy or re-point the registry.
 */
function ownerKeyFrom(file: string): string {
  let text: string;
  let mode: number;
  try {
    mode = statSync(file).mode;
    text = readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new CustodyError('IO_ERROR', `expected to read the owner's private key from ${file}, got ${(e as Error).message}`);
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new CustodyError('INVALID_ARGUMENT', `expected ${file} to be readable by its owner only (a private key), got mode ${(mode & 0o777).toString(8).padStart(4, '0')}: run chmod 600 ${file}`);
  }
  const key = text.startsWith('0x') ? text : `0x${text}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new CustodyError('INVALID_ARGUMENT', `expected ${file} to hold an Ethereum private key (64 hex digits, 0x optional), got ${text.length} characters of something else`);
  return key;
}

interface OwnerFlags {
  rpc: string;
  keyFile: string;
  chainId?: number;
}

/** The owner's wallet on the RPC, after checking the chain id when one is given. */
async function ownerWallet(o: OwnerFlags): Promise<{ wallet: Wallet; chainId: number; close: () => void }> {
  const key = ownerKeyFrom(o.keyFile);
  let url: URL;
  try {
    url = new URL(o.rpc);
  } catch {
    throw new CustodyError('INVALID_ARGUMENT', `expected an http(s) JSON-RPC URL for --rpc, got ${JSON.stringify(o.rpc)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CustodyError('INVALID_ARGUMENT', `expected an http(s) JSON-RPC URL for --rpc, got ${url.protocol}`);
  // No request cache: a nonce read within ethers' default 250 ms cache would be the one just used.
  const provider = new JsonRpcProvider(o.rpc, undefined, { staticNetwork: true, pollingInterval: 250, cacheTimeout: -1 });
  let chainId: number;
  try {
    chainId = Number((await provider.getNetwork()).chainId);
  } catch (e) {
    provider.destroy();
    throw new CustodyError('CHAIN_UNREACHABLE', `expected the JSON-RPC endpoint ${o.rpc} to answer, got ${(e as Error).message}`);
  }
  if (o.chainId !== undefined && o.chainId !== chainId) {
    provider.destroy();
    throw new CustodyError('ANCHOR_WRONG_CHAIN', `expected chain ${o.chainId} (--chain-id), got chain ${chainId} at ${o.rpc}`);
  }
  return { wallet: new Wallet(key, provider), chainId, close: () => provider.destroy() };
}

const ownerOptions = (cmd: Command): Command =>
  cmd
    .requiredOption('--rpc <url>', 'the chain\'s JSON-RPC URL')
    .requiredOption('--key-file <file>', "a file holding the contract owner's Ethereum private key (hex)")
    .option('--chain-id <n>', 'refuse any other chain than this one', (v) => Number.parseInt(v, 10))
    .option('--json', 'print the result as JSON');

/**
 * `hub chain deploy` (the ProvenanceRegistry from the committed artifact, owned by the key's address or --owner) and
 * `hub chain set-anchoring-key` (each organisation's anchoring address registered for its log, and funded with
 * --fund): the owner's side of docs/anchoring.md "Setting up a chain".
 */
export function registerChainAdmin(hub: Command, location: (o: { data?: string; database?: string }) => HubLocation, passphrase: () => Promise<string>): void {
  const chain = hub.command('chain').description('the ProvenanceRegistry contract, for its owner: deploy it, register each organisation\'s anchoring key');

  ownerOptions(chain
    .command('deploy')
    .description('deploy the ProvenanceRegistry (contracts/ProvenanceRegistry.json) with the owner key; prints its address for --chain-contract')
    .option('--owner <address>', 'the contract owner (default: the address of --key-file)'))
    .action(async (o: OwnerFlags & { owner?: string; json?: boolean }) => {
      const { wallet, chainId, close } = await ownerWallet(o);
      try {
        const owner = o.owner ? getAddress(o.owner) : wallet.address;
        const a = artifact as RegistryArtifact;
        const contract = await new ContractFactory(a.abi as InterfaceAbi, a.bytecode, wallet).deploy(owner);
        const receipt = await contract.deploymentTransaction()!.wait();
        const result = { chainId, contract: await contract.getAddress(), owner, tx: receipt!.hash, block: receipt!.blockNumber, gasUsed: Number(receipt!.gasUsed) };
        if (o.json) return json(result);
        out(`ProvenanceRegistry deployed on chain ${chainId} at ${result.contract} (owner ${owner}), tx ${result.tx} in block ${result.block}`);
        out(`next: custody hub chain set-anchoring-key --rpc … --key-file … --contract ${result.contract}; then hub serve --chain-rpc … --chain-id ${chainId} --chain-contract ${result.contract}`);
      } finally {
        close();
      }
    });

  ownerOptions(chain
    .command('set-anchoring-key')
    .description("register each organisation's anchoring address (hub chain-keys) for its log on the contract, or one --log-id/--address pair")
    .requiredOption('--contract <address>', 'the ProvenanceRegistry address')
    .option('--data <dir>', 'the hub\'s data folder (default: CUSTODY_HUB_HOME, else ./custody-hub)')
    .option('--database <url>', 'the hub\'s PostgreSQL URL (default: DATABASE_URL)')
    .option('--tenant <id>', 'only this organisation (default: every one on the hub)')
    .option('--log-id <bytes32>', 'without the hub: the log id (keccak256 of the checkpoint origin) …')
    .option('--address <address>', '… and the anchoring address to register for it')
    .option('--fund <eth>', 'also top each anchoring address up to this balance, from the owner key (e.g. 0.5)'))
    .action(async (o: OwnerFlags & { contract: string; data?: string; database?: string; tenant?: string; logId?: string; address?: string; fund?: string; json?: boolean }) => {
      if ((o.logId === undefined) !== (o.address === undefined)) throw new CustodyError('INVALID_ARGUMENT', 'expected --log-id and --address together, got one of them');
      if (o.logId !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(o.logId)) throw new CustodyError('INVALID_ARGUMENT', `expected --log-id as 0x and 64 hex digits, got ${JSON.stringify(o.logId)}`);
      const fund = o.fund === undefined ? null : parseEther(o.fund);
      const targets = o.logId !== undefined
        ? [{ tenantId: null as string | null, logId: o.logId, address: getAddress(o.address!) }]
        : (await hubChainKeys(location(o), await passphrase())).filter((k) => !o.tenant || k.tenantId === o.tenant).map((k) => ({ tenantId: k.tenantId as string | null, logId: k.logId, address: k.address }));
      if (targets.length === 0) throw new CustodyError('NOT_FOUND', `expected an organisation${o.tenant ? ` ${o.tenant}` : ''} on the hub, got none`);
      const { wallet, chainId, close } = await ownerWallet(o);
      try {
        const registry = registryAt(getAddress(o.contract), wallet);
        if ((await wallet.provider!.getCode(registry.target as string)) === '0x') throw new CustodyError('ANCHOR_WRONG_CHAIN', `expected a ProvenanceRegistry at ${o.contract} on chain ${chainId}, got no contract there`);
        const done = [];
        for (const t of targets) {
          const current = (await registry.getFunction('anchoringKeyOf').staticCall(t.logId)) as string;
          let tx: string | null = null;
          if (current !== t.address) {
            const r = await (await registry.getFunction('setAnchoringKey')(t.logId, t.address)).wait();
            tx = r!.hash as string;
          }
          let funded: string | null = null;
          if (fund !== null) {
            const balance = await wallet.provider!.getBalance(t.address);
            if (balance < fund) funded = (await (await wallet.sendTransaction({ to: t.address, value: fund - balance })).wait())!.hash;
          }
          done.push({ ...t, previous: current, tx, funded, balance: formatEther(await wallet.provider!.getBalance(t.address)) });
        }
        if (o.json) return json({ chainId, contract: registry.target, keys: done });
        for (const d of done) {
          out(`${d.tenantId ?? d.logId}: anchoring key ${d.address} ${d.tx ? `registered (tx ${d.tx})` : 'already registered'}; balance ${d.balance} ETH${d.funded ? ` (topped up, tx ${d.funded})` : ''}`);
        }
      } finally {
        close();
      }
    });
}
