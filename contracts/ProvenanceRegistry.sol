// SPDX-License-Identifier: UNLICENSED
// Witnesses the checkpoints of Custody's transparency logs (docs/anchoring.md). One log per organisation (tenant),
// named by logId = keccak256 of its checkpoint origin line. The contract owner registers each log's anchoring key;
// only that key may add batches to that log, a log's tree size only grows, and a root once registered in a log is
// never changed (not by its key, nor by the owner through a key of its own). A batch binds a Merkle root (RFC 6962)
// to the tree size it covers, the Ed25519 key that signed the checkpoint, and the checkpoint's time. Each batch after
// a log's first carries an RFC 9162 consistency proof from the log's latest registered root, checked here: every root
// registered in a log lies on one append-only history, so a log's key cannot anchor two diverging views of it.
pragma solidity 0.8.37;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

contract ProvenanceRegistry is Ownable {
    /// 2: registerBatch takes a consistency proof from the log's latest root (1, unversioned: sizes only grew).
    uint16 public constant VERSION = 2;

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
    /// The root of the log's latest batch: the next batch must prove it extends this tree.
    mapping(bytes32 logId => bytes32 root) public latestRoot;
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
    /// The proof does not show the tree of (`treeSize`, `root`) extending the log's latest batch (`latestSize`,
    /// `latestRoot`): another history than the one registered, or a wrong proof.
    error InconsistentBatch(bytes32 logId, uint64 latestSize, bytes32 latestRoot, uint64 treeSize, bytes32 root);
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

    /// `consistency`: RFC 9162 §2.1.4 consistency proof from the log's latest batch (latestBatch(logId)) to this tree; empty
    /// for a log's first batch.
    function registerBatch(bytes32 root, uint64 treeSize, bytes32 signerKey, uint64 timestamp, bytes32[] calldata consistency) external {
        bytes32 logId = logOfKey[msg.sender];
        if (logId == bytes32(0)) revert NotAnchoringKey(msg.sender);
        if (root == bytes32(0)) revert InvalidBatch("root is zero");
        if (signerKey == bytes32(0)) revert InvalidBatch("signerKey is zero");
        // A verifier checks a proof against the size and block stored here: rewriting them would disown the checkpoint.
        uint64 registered = batches[logId][root].treeSize;
        if (registered != 0) revert RootAlreadyRegistered(logId, root, registered);
        uint64 latest = latestTreeSize[logId];
        if (treeSize <= latest) revert TreeSizeNotIncreasing(logId, latest, treeSize);
        bytes32 previous = latestRoot[logId];
        bool consistent = latest == 0 ? consistency.length == 0 : isConsistent(latest, treeSize, previous, root, consistency);
        if (!consistent) revert InconsistentBatch(logId, latest, previous, treeSize, root);
        latestTreeSize[logId] = treeSize;
        latestRoot[logId] = root;
        batches[logId][root] = Batch(msg.sender, treeSize, signerKey, timestamp, uint64(block.number));
        emit BatchRegistered(logId, root, treeSize, signerKey, timestamp, msg.sender);
    }

    /// The log's latest batch: its tree size and root (zero for a log with none), what the next batch's proof starts from.
    function latestBatch(bytes32 logId) external view returns (uint64 treeSize, bytes32 root) {
        return (latestTreeSize[logId], latestRoot[logId]);
    }

    /// RFC 9162 §2.1.4.2: true when `proof` shows the tree of `size2` with `root2` extending the tree of `size1` with
    /// `root1` (0 < size1 < size2), step by step as core/tlog/merkle.ts checkConsistency. Nodes hash as RFC 6962:
    /// SHA-256(0x01 ‖ left ‖ right), through the SHA-256 precompile.
    function isConsistent(uint64 size1, uint64 size2, bytes32 root1, bytes32 root2, bytes32[] calldata proof) public view returns (bool) {
        if (size1 == 0 || size1 >= size2 || proof.length == 0) return false;
        // A first tree that is a complete subtree is its own first node; otherwise the proof starts with it.
        uint256 i = 0;
        bytes32 fr;
        if (size1 & (size1 - 1) == 0) {
            fr = root1;
        } else {
            fr = proof[0];
            i = 1;
        }
        bytes32 sr = fr;
        uint64 fn = size1 - 1;
        uint64 sn = size2 - 1;
        while (fn & 1 == 1) {
            fn >>= 1;
            sn >>= 1;
        }
        for (; i < proof.length; i++) {
            if (sn == 0) return false;
            bytes32 c = proof[i];
            if (fn & 1 == 1 || fn == sn) {
                fr = _node(c, fr);
                sr = _node(c, sr);
                while (fn & 1 == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                sr = _node(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && fr == root1 && sr == root2;
    }

    /// SHA-256(0x01 ‖ left ‖ right) through the precompile (address 2), the 65 bytes written at the free memory
    /// pointer without moving it: sha256(abi.encodePacked(...)) would allocate them anew for every node.
    function _node(bytes32 left, bytes32 right) private view returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore8(p, 0x01)
            mstore(add(p, 1), left)
            mstore(add(p, 33), right)
            if iszero(staticcall(gas(), 0x02, p, 65, 0x00, 0x20)) { revert(0, 0) }
            h := mload(0x00)
        }
    }

    /// The batch that registered `root` in log `logId`; all zero when there is none.
    function getBatch(bytes32 logId, bytes32 root) external view returns (Batch memory) {
        return batches[logId][root];
    }
}
