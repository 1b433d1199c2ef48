// The hub's tables as Kysely sees them (one query layer for SQLite and PostgreSQL). Instants are ISO-8601 text,
// as on the desk; counters are 32-bit integers, which both dialects return as numbers.
import type { Kysely } from 'kysely';

export interface TenantsTable {
  id: string;
  name: string;
  /** Records accepted so far: the last tenant_seq handed out. Ingest locks this row, so seqs are dense and in commit order. */
  record_count: number;
  created_at: string;
}

export interface HubAdminsTable {
  name: string;
  password_hash: string;
  created_at: string;
}

export interface AdminSessionsTable {
  token_sha256: string;
  admin_name: string;
  created_at: string;
  expires_at: string;
}

export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  /** The desk the key was issued to at enrolment; null for keys an admin created. */
  desk_id: string | null;
  label: string;
  token_sha256: string;
  /** Space-separated, as OAuth 2.0 writes scopes (RFC 6749 §3.3). */
  scopes: string;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface EnrolmentTokensTable {
  id: string;
  tenant_id: string;
  token_sha256: string;
  label: string;
  created_at: string;
  created_by: string;
  expires_at: string;
  used_at: string | null;
  desk_id: string | null;
}

export interface DesksTable {
  id: string;
  tenant_id: string;
  name: string;
  c2pa_root_pem: string | null;
  enrolled_at: string;
  revoked_at: string | null;
}

export interface DeskKeysTable {
  public_key: string;
  tenant_id: string;
  desk_id: string;
  key_id: string;
  added_at: string;
}

export interface RecordsTable {
  tenant_id: string;
  id: string;
  /** 1, 2, 3… per tenant in the order records were accepted: the index's ids, and the future Merkle leaf index. */
  tenant_seq: number;
  desk_id: string;
  kind: 'image' | 'video' | 'segment';
  parent_id: string | null;
  sha256: string;
  output_sha256: string | null;
  phash: string;
  payload: string | null;
  segment_index: number | null;
  signed_at: string;
  public_key: string;
  signature: string;
  /** SHA-256 of `body`. */
  content_sha256: string;
  /** canonicalRecord(): the record as pushed without its record signature, the manifest store replaced by its hash. */
  body: string;
  /** The desk's Ed25519 signature over `custody-record/v1:<content_sha256>`; null for records stored before migration 0006. */
  record_signature: string | null;
  manifest_id: string | null;
  received_at: string;
  api_key_id: string;
}

export interface ManifestsTable {
  id: string;
  tenant_id: string;
  record_id: string;
  sha256: string;
  data: Uint8Array;
  created_at: string;
}

export interface RecordEventsTable {
  tenant_id: string;
  record_id: string;
  at: string;
  event: string;
  actor: string;
  detail: string;
}

/** A tenant's transparency log: its size and right edge (core/tlog/compact.ts), read and written under the tenant lock. */
export interface TlogLogsTable {
  tenant_id: string;
  size: number;
  edge: Uint8Array;
  updated_at: string;
}

export interface TlogLeavesTable {
  tenant_id: string;
  /** 0-based leaf index. */
  idx: number;
  kind: 'record' | 'audit-head';
  /** The record id, or `<desk id>:<seq>` for an audit head. */
  ref: string;
  leaf_hash: Uint8Array;
  appended_at: string;
}

/** Complete subtrees at levels 8, 16, 24, …: (level, idx) covers leaves [idx·2^level, (idx+1)·2^level). */
export interface TlogNodesTable {
  tenant_id: string;
  level: number;
  idx: number;
  hash: Uint8Array;
}

export interface TlogCheckpointsTable {
  tenant_id: string;
  size: number;
  root: Uint8Array;
  /** The C2SP signed note. */
  note: string;
  signed_at: string;
}

export interface AuditHeadsTable {
  tenant_id: string;
  desk_id: string;
  seq: number;
  hash: string;
  public_key: string;
  signature: string;
  leaf_idx: number;
  received_at: string;
}

export interface PublicationsTable {
  tenant_id: string;
  id: string;
  record_id: string;
  desk_id: string;
  sha256: string;
  source_sha256: string;
  published_at: string;
  published_by: string;
  statement: string;
  signature: string;
  public_key: string;
  received_at: string;
}

export interface HubVaultTable {
  kind: string;
  params: string;
  blob: Uint8Array;
  created_at: string;
}

export interface HubSecretsTable {
  name: string;
  public: string | null;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
  created_at: string;
}

export type AnchorState = 'open' | 'submitted' | 'confirmed' | 'failed';

/** One checkpoint on one chain (server/anchor/): open → submitted → confirmed, or failed with last_error. */
export interface AnchorBatchesTable {
  chain_id: number;
  /** The registry's address, checksummed. */
  contract: string;
  tenant_id: string;
  size: number;
  /** The checkpoint's root, 0x + 64 hex. */
  root: string;
  state: AnchorState;
  /** The tenant's anchoring address. */
  sender: string;
  /** Stored with the signed transaction before it is sent: a restart re-sends the same bytes, never a second one. */
  nonce: number | null;
  tx_hash: string | null;
  raw_tx: string | null;
  /** The chain's height when it was first sent: where a search for its event starts. */
  submitted_block: number | null;
  block_number: number | null;
  block_hash: string | null;
  block_timestamp: string | null;
  /** Times a transaction was signed for it (replacements included). */
  sends: number;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface AnchorLocksTable {
  name: string;
  holder: string;
  expires_at: string;
}

export interface HubSchema {
  tenants: TenantsTable;
  hub_admins: HubAdminsTable;
  admin_sessions: AdminSessionsTable;
  api_keys: ApiKeysTable;
  enrolment_tokens: EnrolmentTokensTable;
  desks: DesksTable;
  desk_keys: DeskKeysTable;
  records: RecordsTable;
  manifests: ManifestsTable;
  record_events: RecordEventsTable;
  tlog_logs: TlogLogsTable;
  tlog_leaves: TlogLeavesTable;
  tlog_nodes: TlogNodesTable;
  tlog_checkpoints: TlogCheckpointsTable;
  audit_heads: AuditHeadsTable;
  publications: PublicationsTable;
  hub_vault: HubVaultTable;
  hub_secrets: HubSecretsTable;
  anchor_batches: AnchorBatchesTable;
  anchor_locks: AnchorLocksTable;
}

export type HubKysely = Kysely<HubSchema>;
export type Dialect = 'sqlite' | 'postgres';
