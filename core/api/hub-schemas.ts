// The shapes of the DeskApi's hub methods (core/sync/hub-sync.ts HubStatus, core/sync/link.ts HubLinkInfo).
import { z } from 'zod';
import type { HubStatus } from '../sync/hub-sync.ts';
import type { AnchorState } from '../sync/proofs.ts';
import { ChainRefSchema } from '../tlog/proof-file.ts';

export const hubLinkSchema = z.object({
  url: z.string(), deskId: z.string(), deskName: z.string(), org: z.string(), tenantId: z.string(), apiKeyId: z.string(),
  connectedAt: z.string(), lastContactAt: z.string().nullable(), lastError: z.string().nullable(), lastErrorAt: z.string().nullable(),
});

export const hubConnectArgs = z.object({
  url: z.url({ protocol: /^https?$/, error: 'expected the hub address, like https://hub.example.org' }).max(2048),
  token: z.string().trim().min(8, 'expected the one-time enrolment token from the hub admin, got too short a one').max(512),
  /** How the desk is named on the hub (default: the machine's name). */
  name: z.string().trim().min(1).max(100).optional(),
  /** Accepts a plain-http URL to another machine (the token, the API key and the answers travel unprotected). */
  insecureHttp: z.boolean().optional(),
  /** The hub's checkpoint verifier key from its admin (`custody hub key`), checked and pinned at enrolment. */
  hubKey: z.string().trim().min(1).max(300).optional(),
});

const counts = z.object({ pending: z.number(), delivered: z.number(), parked: z.number() });

export const hubStatusSchema = z.object({
  link: hubLinkSchema.nullable(),
  outbox: z.object({
    pending: z.number(), delivered: z.number(), parked: z.number(),
    oldestPending: z.object({ seq: z.number(), kind: z.string(), ref: z.string(), createdAt: z.string(), attempts: z.number(), lastError: z.string().nullable() }).nullable(),
    byKind: z.object({ record: counts, publication: counts, audit_head: counts }),
  }),
  held: z.array(z.string()),
  parked: z.array(z.object({ seq: z.number(), kind: z.string(), ref: z.string(), code: z.string(), reason: z.string(), at: z.string().nullable() })),
  proofs: z.object({
    held: z.number(), anchored: z.number(), lastReceivedAt: z.string().nullable(), checkpoint: z.object({ size: z.number(), receivedAt: z.string() }).nullable(), logKey: z.string().nullable(),
    confirmed: z.number(), chainCheck: z.object({ rpc: z.string(), contract: z.string() }).nullable(),
    lastChainCheck: z.object({
      at: z.string(), by: z.string(), rpc: z.string(), outcome: z.enum(['ok', 'idle', 'unreachable', 'failed']), error: z.string().nullable(),
      checked: z.number(), confirmed: z.number(), refuted: z.number(), left: z.number(),
    }).nullable(),
  }),
  alarms: z.array(z.object({ at: z.string(), code: z.string(), message: z.string() })),
  refuted: z.array(z.object({
    recordId: z.string().nullable(), seq: z.number().nullable(), treeSize: z.number(), chain: ChainRefSchema, code: z.string(), message: z.string(), refutedAt: z.string(),
    servedAgain: z.number(), lastServedAt: z.string().nullable(), supersededAt: z.string().nullable(), supersededBy: ChainRefSchema.nullable(),
  })),
});

// Fails to compile when core's status grows a field in a shape this schema would refuse.
const _statusFits = (s: HubStatus): z.input<typeof hubStatusSchema> => s;
void _statusFits;

/** Where a record stands with the organisation's hub (core/sync/proofs.ts anchorState), for the Library. */
export const anchorStateSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('local'), detail: z.string() }),
  z.object({ state: z.literal('pending'), detail: z.string() }),
  z.object({ state: z.literal('logged'), detail: z.string(), at: z.string() }),
  z.object({ state: z.literal('anchored'), detail: z.string(), at: z.string(), chain: ChainRefSchema, checkedAt: z.string().nullable() }),
  z.object({ state: z.literal('refused'), detail: z.string(), code: z.string() }),
]);

// Fails to compile when core's anchor state grows a shape this schema would refuse.
const _anchorFits = (a: AnchorState): z.input<typeof anchorStateSchema> => a;
void _anchorFits;
