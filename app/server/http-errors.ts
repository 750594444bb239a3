// One place that decides which HTTP status and detail an error of the core becomes.
import { ClusterError } from '../kube/errors.js';
import { NodePortsExhaustedError } from '../sandbox/node-ports.js';
import { SandboxNotFoundError, ValidationError } from '../sandbox/provisioner.js';

export interface HttpError {
  status: number;
  detail: string | { loc: string[]; msg: string; type: string }[];
}

export function fieldError(field: string, msg: string, where = 'body'): HttpError {
  return { status: 422, detail: [{ loc: field ? [where, field] : [where], msg, type: 'value_error' }] };
}

export function toHttpError(e: unknown): HttpError {
  if (e instanceof ValidationError) return fieldError(e.field, e.message, e.where);
  if (e instanceof SandboxNotFoundError) return { status: 404, detail: e.message };
  if (e instanceof NodePortsExhaustedError) return { status: 503, detail: `Cannot create the sandbox: ${e.message}` };
  if (e instanceof ClusterError) {
    switch (e.kind) {
      case 'unreachable':
      case 'tls':
        return { status: 503, detail: `Kubernetes is unavailable: ${e.message}` };
      case 'unauthorized':
      case 'forbidden':
        return { status: 502, detail: `Kubernetes refused the request: ${e.message}` };
      default:
        return { status: 500, detail: `Kubernetes error: ${e.message}` };
    }
  }
  return { status: 500, detail: 'Internal error; see the server log' };
}
