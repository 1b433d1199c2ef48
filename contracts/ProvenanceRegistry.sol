// SPDX-License-Identifier: UNLICENSED
// Witnesses the checkpoints of Custody's transparency logs (docs/anchoring.md). One log per organisation (tenant),
// named by logId = keccak256 of its checkpoint origin line. The contract owner registers each log's anchoring key;
// only that key may add batches to that log, a log's tree size only grows, and a root once registered in a log is
// never changed (not by its key, nor by the owner through a key of its own). A batch binds a Merkle root (RFC 6962)
// to the tree size it covers, the Ed25519 key that signed the checkpoint, and the checkpoint's time.
pragma solidity 0.8.37;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

contract ProvenanceRegistry is Ownable {
    struct Batch {
        // Slot 1: who submitted it, and the tree size it covers.
        address submitter;
        uint64 treeSize;
        // Slot 2: the checkpoint signer's Ed25519 public key.
        bytes32 signerKey;
        // Slot 3: the checkpoint's time (Unix seconds) and the block that recorded it.
        uint64 timestamp;
        uint64 blockNumber;
    }

    /// The log each anchoring key may write to (one key, one log), and back.
    mapping(address key => bytes32 logId) public logOfKey;
    mapping(bytes32 logId => address key) public anchoringKeyOf;
    /// The largest tree size registered per log: the next batch must be larger.
    mapping(bytes32 logId => uint64 treeSize) public latestTreeSize;
    // Keyed by log and root, not by root alone: another log submitting the same root (it is public once in the
    // mempool) must not be able to take it or block it.
    mapping(bytes32 logId => mapping(bytes32 root => Batch)) private batches;

    event AnchoringKeySet(bytes32 indexed logId, address indexed key, address previousKey);
    /// One per batch; a verifier finds a root with eth_getLogs filtered on logId and root (or tree size).
    event BatchRegistered(
        bytes32 indexed logId,
        bytes32 indexed root,
        uint64 indexed treeSize,
        bytes32 signerKey,
        uint64 timestamp,
        address submitter
    );

    error NotAnchoringKey(address caller);
    error TreeSizeNotIncreasing(bytes32 logId, uint64 latest, uint64 given);
    /// The root is already registered in this log, at `treeSize`: its batch is final. Registering the same batch
    /// again reverts too (no silent success), so a transaction that succeeds is always the one that registered it.
    error RootAlreadyRegistered(bytes32 logId, bytes32 root, uint64 treeSize);
    error InvalidBatch(string reason);
    error KeyInUse(address key, bytes32 logId);

    constructor(address initialOwner) Ownable(initialOwner) {}

    /// Registers (or rotates, or with address(0) removes) a log's anchoring key. A key serves one log only, so a
    /// batch's log follows from its sender and registerBatch needs no log argument that could be forged.
    function setAnchoringKey(bytes32 logId, address key) external onlyOwner {
        if (logId == bytes32(0)) revert InvalidBatch("logId is zero");
        if (key != address(0) && logOfKey[key] != bytes32(0) && logOfKey[key] != logId) revert KeyInUse(key, logOfKey[key]);
        address previous = anchoringKeyOf[logId];
        if (previous != address(0)) delete logOfKey[previous];
        anchoringKeyOf[logId] = key;
        if (key != address(0)) logOfKey[key] = logId;
        emit AnchoringKeySet(logId, key, previous);
    }

    function registerBatch(bytes32 root, uint64 treeSize, bytes32 signerKey, uint64 timestamp) external {
        bytes32 logId = logOfKey[msg.sender];
        if (logId == bytes32(0)) revert NotAnchoringKey(msg.sender);
        if (root == bytes32(0)) revert InvalidBatch("root is zero");
        if (signerKey == bytes32(0)) revert InvalidBatch("signerKey is zero");
        // A verifier checks a proof against the size and block stored here: rewriting them would disown the checkpoint.
        uint64 registered = batches[logId][root].treeSize;
        if (registered != 0) revert RootAlreadyRegistered(logId, root, registered);
        uint64 latest = latestTreeSize[logId];
        if (treeSize <= latest) revert TreeSizeNotIncreasing(logId, latest, treeSize);
        latestTreeSize[logId] = treeSize;
        batches[logId][root] = Batch(msg.sender, treeSize, signerKey, timestamp, uint64(block.number));
        emit BatchRegistered(logId, root, treeSize, signerKey, timestamp, msg.sender);
    }

    /// The batch that registered `root` in log `logId`; all zero when there is none.
    function getBatch(bytes32 logId, bytes32 root) external view returns (Batch memory) {
        return batches[logId][root];
    }
}
