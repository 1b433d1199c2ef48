// Shapes that cross a process boundary (IPC, HTTP, CLI), as zod schemas; the TypeScript types derive from them.
import { z } from 'zod';

export const checkSchema = z.looseObject({
  status: z.enum(['pass', 'fail', 'absent', 'skipped']),
  detail: z.string(),
});

export const verifyReportSchema = z.object({
  file: z.string(),
  format: z.string(),
  verdict: z.enum(['authentic', 'derived', 'tampered', 'unknown']),
  confidence: z.number().min(0).max(1),
  recordId: z.string().nullable(),
  checks: z.object({
    sha256: checkSchema,
    signature: checkSchema,
    watermark: checkSchema,
    phash: checkSchema,
    c2pa: checkSchema,
    anchor: checkSchema,
  }),
});

export const receiptSchema = z.object({
  recordId: z.string(),
  input: z.string(),
  output: z.string(),
  format: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  sha256: z.string(),
  outputSha256: z.string(),
  phash: z.string(),
  payload: z.string().nullable(),
  watermark: z.object({ status: z.enum(['embedded', 'skipped']), algorithm: z.string(), reason: z.string().optional() }),
  c2pa: z.object({ status: z.enum(['embedded', 'skipped']), reason: z.string().optional(), pq: z.boolean() }),
  fingerprint: z.string(),
  signature: z.string(),
  publicKey: z.string(),
  keyId: z.string(),
  signedAt: z.string(),
  org: z.string(),
});

export const recordSchema = z.object({
  id: z.string(),
  kind: z.enum(['image', 'video', 'segment']),
  parentId: z.string().nullable(),
  inputName: z.string(),
  inputPath: z.string().nullable(),
  outputPath: z.string().nullable(),
  format: z.string(),
  width: z.number().nullable(),
  height: z.number().nullable(),
  sha256: z.string(),
  outputSha256: z.string().nullable(),
  phash: z.string().nullable(),
  payload: z.string().nullable(),
  watermark: z.string(),
  fingerprint: z.string(),
  signature: z.string(),
  publicKey: z.string(),
  keyId: z.string(),
  signedAt: z.string(),
  details: z.record(z.string(), z.unknown()),
});

export const signingKeySchema = z.object({
  id: z.string(),
  algorithm: z.literal('ed25519'),
  publicKey: z.string(),
  createdAt: z.string(),
  retiredAt: z.string().nullable(),
});

export const errorSchema = z.object({ code: z.string(), message: z.string() });
