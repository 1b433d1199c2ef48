// The ProvenanceRegistry contract as ethers v6 sees it (contracts/ProvenanceRegistry.sol). The ABI is written here
// in ethers' human-readable form so core/ needs nothing from contracts/; test/contract-artifact.test.ts checks that
// it is exactly the compiled artifact's ABI.
import { Contract, Interface, keccak256, toUtf8Bytes, type ContractRunner } from 'ethers';

export const REGISTRY_ABI = [
  'constructor(address initialOwner)',
  'error InconsistentBatch(bytes32 logId, uint64 latestSize, bytes32 latestRoot, uint64 treeSize, bytes32 root)',
  'error InvalidBatch(string reason)',
  'error KeyInUse(address key, bytes32 logId)',
  'error NotAnchoringKey(address caller)',
  'error OwnableInvalidOwner(address owner)',
  'error OwnableUnauthorizedAccount(address account)',
  'error RootAlreadyRegistered(bytes32 logId, bytes32 root, uint64 treeSize)',
  'error TreeSizeNotIncreasing(bytes32 logId, uint64 latest, uint64 given)',
  'event AnchoringKeySet(bytes32 indexed logId, address indexed key, address previousKey)',
  'event BatchRegistered(bytes32 indexed logId, bytes32 indexed root, uint64 indexed treeSize, bytes32 signerKey, uint64 timestamp, address submitter)',
  'event OwnershipTransferred(address indexed previousOwner, address indexed newOwner)',
  'function VERSION() view returns (uint16)',
  'function anchoringKeyOf(bytes32 logId) view returns (address key)',
  'function getBatch(bytes32 logId, bytes32 root) view returns (tuple(address submitter, uint64 treeSize, bytes32 signerKey, uint64 timestamp, uint64 blockNumber))',
  'function isConsistent(uint64 size1, uint64 size2, bytes32 root1, bytes32 root2, bytes32[] proof) view returns (bool)',
  'function latestBatch(bytes32 logId) view returns (uint64 treeSize, bytes32 root)',
  'function latestRoot(bytes32 logId) view returns (bytes32 root)',
  'function latestTreeSize(bytes32 logId) view returns (uint64 treeSize)',
  'function logOfKey(address key) view returns (bytes32 logId)',
  'function owner() view returns (address)',
  'function registerBatch(bytes32 root, uint64 treeSize, bytes32 signerKey, uint64 timestamp, bytes32[] consistency)',
  'function renounceOwnership()',
  'function setAnchoringKey(bytes32 logId, address key)',
  'function transferOwnership(address newOwner)',
] as const;

export const REGISTRY_INTERFACE = new Interface(REGISTRY_ABI);

/**
 * The contract's VERSION. 2: registerBatch takes a consistency proof from the log's latest root, so every root of a
 * log is on one history. A registry without VERSION (deployed before it) checked only that sizes grow.
 */
export const REGISTRY_VERSION = 2;

/** The registry's VERSION, or null when it has none (an older registry: the call reverts, or answers nothing). */
export async function registryVersion(registry: Contract): Promise<number | null> {
  try {
    return Number(await registry.getFunction('VERSION').staticCall());
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'CALL_EXCEPTION' || code === 'BAD_DATA') return null;
    throw e;
  }
}

/** A log's id on chain: keccak256 of its checkpoint origin line (C2SP tlog-checkpoint), so a verifier derives it from the checkpoint. */
export function logIdOf(origin: string): string {
  return keccak256(toUtf8Bytes(origin));
}

export interface ChainBatch {
  submitter: string;
  treeSize: number;
  /** 0x-prefixed 32-byte Ed25519 public key of the checkpoint signer. */
  signerKey: string;
  /** Unix seconds, as the checkpoint was signed. */
  timestamp: number;
  blockNumber: number;
}

export function registryAt(address: string, runner: ContractRunner): Contract {
  return new Contract(address, REGISTRY_INTERFACE, runner);
}

/** The log's latest batch on chain: what the next batch's consistency proof starts from (size 0: none yet). */
export async function readLatest(registry: Contract, logId: string): Promise<{ size: number; root: string }> {
  const [size, root] = (await registry.getFunction('latestBatch').staticCall(logId)) as [bigint, string];
  return { size: Number(size), root };
}

/** The batch that registered `root` (0x hex) in the log; null when the contract has none. */
export async function readBatch(registry: Contract, logId: string, root: string): Promise<ChainBatch | null> {
  const b = (await registry.getFunction('getBatch').staticCall(logId, root)) as [string, bigint, string, bigint, bigint];
  const [submitter, treeSize, signerKey, timestamp, blockNumber] = b;
  if (treeSize === 0n) return null;
  return { submitter, treeSize: Number(treeSize), signerKey, timestamp: Number(timestamp), blockNumber: Number(blockNumber) };
}
