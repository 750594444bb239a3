// One place that decides which HTTP status and detail an error becomes: by its category
// (app/errors.ts), so a new kind of error needs no change here; Kubernetes' own failures by
// their ClusterError kind. Anything else is a 500 whose detail says to look at the log.
import type { FastifyError } from 'fastify';
import { AppError, type ErrorCategory, type FieldProblem } from '../errors.js';
import { ClusterError } from '../kube/errors.js';
import { sandboxIdProblem, threadIdProblem, userIdProblem } from '../sandbox/names.js';

export interface HttpError {
  status: number;
  detail: string | { loc: string[]; msg: string; type: string }[];
}

export function fieldError(field: string, msg: string, where = 'body'): HttpError {
  return { status: 422, detail: [{ loc: field ? [where, field] : [where], msg, type: 'value_error' }] };
}

const STATUS_OF: Record<ErrorCategory, number> = {
  invalid: 422,
  'bad-request': 400,
  'not-found': 404,
  conflict: 409,
  unavailable: 503,
  refused: 502,
};

/** FastAPI's 422 shape, one entry per field at fault. */
const fieldsDetail = (fields: FieldProblem[]) =>
  fields.map((f) => ({ loc: [f.where ?? 'body', f.field], msg: f.message, type: 'value_error' }));

export function toHttpError(e: unknown): HttpError {
  if (e instanceof AppError) {
    const status = STATUS_OF[e.category];
    return { status, detail: e.category === 'invalid' && e.fields.length ? fieldsDetail(e.fields) : e.message };
  }
  if (e instanceof ClusterError) {
    switch (e.kind) {
      case 'unreachable':
      case 'tls':
        return { status: 503, detail: `Kubernetes is unavailable: ${e.message}` };
      case 'unauthorized':
      case 'forbidden':
        return { status: 502, detail: `Kubernetes refused the request: ${e.message}` };
      default:
        // Overloaded (429, priority and fairness) or failing (5xx): worth retrying, like "down".
        if (e.apiStatus === 429 || (e.apiStatus ?? 0) >= 500)
          return { status: 503, detail: `Kubernetes is busy or failing; try again shortly: ${e.message}` };
        return { status: 500, detail: `Kubernetes error: ${e.message}` };
    }
  }
  return { status: 500, detail: 'Internal error; see the server log' };
}

const FRIENDLY_FIELD_PROBLEMS: Record<string, (v: unknown) => string | undefined> = {
  sandbox_id: sandboxIdProblem,
  thread_id: threadIdProblem,
  user_id: userIdProblem,
};

/**
 * Turns Fastify/Ajv validation failures into FastAPI-style 422 details whose `loc` is the full
 * path of the value (`["body", "extra_mounts", "0", "host_path"]`), with our wording for ids.
 */
export function validationDetail(error: FastifyError, body: unknown): HttpError {
  const first = error.validation?.[0];
  if (!first) return fieldError('body', error.message);
  const where = error.validationContext ?? 'body';
  const path = first.instancePath.split('/').filter(Boolean);
  const missing = first.keyword === 'required' ? String((first.params as { missingProperty?: string }).missingProperty ?? '') : '';
  if (missing) return { status: 422, detail: [{ loc: [where, ...path, missing], msg: `${missing} is required`, type: 'missing' }] };
  if (path.length === 0 && first.keyword === 'type') return fieldError('', 'the body must be a JSON object', where);
  const field = path[0] ?? 'body';
  if (path.length > 1)
    return {
      status: 422,
      detail: [{ loc: [where, ...path], msg: `${path.join('.')} ${first.message ?? 'is invalid'}`, type: 'value_error' }],
    };
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined;
  const friendly = FRIENDLY_FIELD_PROBLEMS[field]?.(value);
  return fieldError(field, friendly ? `${field} ${friendly}` : `${field} ${first.message ?? 'is invalid'}`, where);
}

/** Any error a route threw, or Fastify's own (validation, body parsing), as status + detail. */
export function fastifyErrorToHttp(error: FastifyError, body: unknown, bodyLimit: number): HttpError {
  if (error.validation) return validationDetail(error, body);
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, detail: `Request body is larger than ${bodyLimit} bytes` };
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return { status: 415, detail: 'Send the body as application/json' };
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY')
    return fieldError('', `the body is not valid JSON: ${error.message}`);
  // Any other refusal by Fastify or a plugin (the static files' 400 for a NUL in the path, 403
  // for a path that climbs out of the UI folder, 404): it keeps its status, never a 500.
  if (!(error instanceof AppError) && error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)
    return { status: error.statusCode, detail: error.statusCode === 404 ? 'Not Found' : error.message };
  return toHttpError(error);
}
