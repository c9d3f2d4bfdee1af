import type { ErrorBody, ErrorCode } from '@coditect/contract';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { NodeHealth } from '../faults/node-health.js';
import { faultError } from '../faults/fault-errors.js';
import { AppError } from './app-error.js';

/** Maps Fastify's own 4xx errors (body parsing, content type, URL) to stable codes. */
function fromFastifyError(err: FastifyError): AppError | undefined {
  const status = err.statusCode ?? 500;
  if (status >= 500) return undefined;
  const byStatus: Record<number, ErrorCode> = { 404: 'route_not_found', 405: 'method_not_allowed', 413: 'payload_too_large', 415: 'unsupported_media_type' };
  const code: ErrorCode = byStatus[status] ??
    (err.code?.startsWith('FST_ERR_CTP') || err instanceof SyntaxError ? 'invalid_json' : 'bad_request');
  const messages: Partial<Record<ErrorCode, string>> = {
    payload_too_large: 'Request body is too large',
    unsupported_media_type: 'Unsupported Content-Type; send application/json',
    invalid_json: 'Request body is not valid JSON',
  };
  return new AppError(code, messages[code] ?? 'Bad request', { cause: err });
}

/**
 * The one place that writes error bodies. Internal causes are logged, never
 * sent. Host faults (full disk, lost or busy database) become their coded
 * errors here and are reported to `health`.
 */
export function installErrorHandling(app: FastifyInstance, health: NodeHealth): void {
  app.setErrorHandler((raw: FastifyError | AppError, request, reply) => {
    const fault = faultError(raw);
    if (fault) health.refused(fault.code, raw);
    const err = fault ?? (raw instanceof AppError ? raw : fromFastifyError(raw as FastifyError));
    if (!err) {
      request.log.error({ err: raw }, 'unhandled error');
      return reply.status(500).send(body('internal_error', 'Internal server error', request.id));
    }
    if (!err.expected) request.log.error({ err: err.cause ?? err }, err.message);
    else if (fault) request.log.debug({ code: fault.code, cause: (raw as Error).message }, 'refused: host fault');
    reply.headers(err.options.headers ?? {});
    return reply.status(err.status).send(body(err.code, err.message, request.id, err.options.details));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(body('route_not_found', `No route for ${request.method} ${request.url.split('?')[0]}`, request.id)));
}

function body(code: string, message: string, requestId: string, details?: unknown): ErrorBody {
  return { error: { code, message, requestId, ...(details === undefined ? {} : { details }) } };
}
