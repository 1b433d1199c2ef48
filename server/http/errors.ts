// Every failure leaves the hub as `{code, message}` JSON with a status that says whose fault it is; the codes are
// the desk's (core/errors.ts). Bad input never becomes a 500: validation, parsing and size errors from Fastify are
// mapped here, and anything else is logged and answered as INTERNAL_ERROR without internals.
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CustodyError, type ErrorCode } from '../../core/errors.ts';

export const ErrorSchema = z.object({
  code: z.string().meta({ description: 'A stable code from core/errors.ts, or INTERNAL_ERROR' }),
  message: z.string().meta({ description: 'What was expected and what arrived' }),
  details: z.record(z.string(), z.unknown()).optional(),
}).meta({ id: 'Error' });

const STATUS: Record<ErrorCode, number> = {
  UNSUPPORTED_FORMAT: 415,
  FILE_TOO_LARGE: 413,
  IMAGE_TOO_MANY_PIXELS: 413,
  IMAGE_TOO_SMALL_FOR_WATERMARK: 422,
  CORRUPT_MEDIA: 422,
  KEY_LOCKED: 423,
  NOT_FOUND: 404,
  NOT_INITIALIZED: 409,
  ALREADY_INITIALIZED: 409,
  INVALID_ARGUMENT: 400,
  WEAK_PASSPHRASE: 400,
  WEAK_PASSWORD: 400,
  NOT_AUTHENTICATED: 401,
  NOT_PERMITTED: 403,
  WORKFLOW_TRANSITION_REFUSED: 409,
  INTEGRITY_FAILED: 409,
  HUB_UNREACHABLE: 503,
  TSA_UNREACHABLE: 503,
  IO_ERROR: 500,
  PATH_NOT_ALLOWED: 403,
  WATCH_FOLDER_BUSY: 409,
  ALREADY_SIGNED: 409,
  SIGNATURE_INVALID: 422,
  RECORD_CONFLICT: 409,
  BATCH_TOO_LARGE: 413,
  REQUEST_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  REVOKED: 401,
  DIRECTORY_UNREACHABLE: 503,
  DIRECTORY_TLS: 503,
  DIRECTORY_SERVICE_BIND: 503,
  DIRECTORY_SEARCH_FAILED: 503,
  PROOF_MALFORMED: 422,
  PROOF_LEAF_MISMATCH: 422,
  PROOF_INCLUSION_FAILED: 422,
  CHECKPOINT_SIGNATURE_INVALID: 422,
  CHECKPOINT_WRONG_KEY: 422,
  LOG_INCONSISTENT: 409,
  PROOF_NOT_READY: 409,
  CHAIN_UNREACHABLE: 503,
  ANCHOR_WRONG_CHAIN: 422,
  ANCHOR_MISSING: 422,
  ANCHOR_MISMATCH: 422,
};

export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

/** Standard error responses for a route's schema (documentation; the handler below writes them). */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorSchema> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorSchema]));
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | CustodyError | Error, request, reply) => {
    const send = (status: number, code: string, message: string, details?: Record<string, unknown>) =>
      reply.status(status).type('application/json').send(JSON.stringify(details ? { code, message, details } : { code, message }));
    if (error instanceof CustodyError) {
      // A revoked desk's ingest is forbidden outright; a revoked key cannot authenticate at all.
      const status = error.code === 'REVOKED' && error.details?.['subject'] === 'desk' ? 403 : STATUS[error.code];
      return send(status, error.code, error.message, error.details);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = (error as FastifyError & { validationContext?: string }).validationContext ?? 'request';
      const issues = error.validation.map((v) => `${where}${v.instancePath ? v.instancePath.replaceAll('/', '.') : ''}: ${v.message}`);
      return send(400, 'INVALID_ARGUMENT', `expected a valid request: ${issues.slice(0, 10).join('; ')}${issues.length > 10 ? `; and ${issues.length - 10} more` : ''}`);
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error }, 'response failed its schema');
      return send(500, 'INTERNAL_ERROR', 'the hub built an answer that does not match its own schema; this is a bug');
    }
    const fe = error as FastifyError;
    switch (fe.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return send(413, 'REQUEST_TOO_LARGE', `expected a request body within the route's limit, got more: ${fe.message}`);
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return send(415, 'UNSUPPORTED_FORMAT', `expected a supported Content-Type, got ${JSON.stringify(request.headers['content-type'] ?? 'none')}`);
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return send(400, 'INVALID_ARGUMENT', `expected a JSON body, got one that does not parse: ${fe.message}`);
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return send(400, 'INVALID_ARGUMENT', 'expected a Content-Length that matches the body');
      default:
        break;
    }
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      return send(fe.statusCode, 'INVALID_ARGUMENT', fe.message);
    }
    request.log.error({ err: error }, 'unexpected error');
    return send(500, 'INTERNAL_ERROR', 'the hub failed unexpectedly; the request may be retried');
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ code: 'NOT_FOUND', message: `expected a hub route, got ${request.method} ${request.url.split('?')[0]}` }),
  );
}
