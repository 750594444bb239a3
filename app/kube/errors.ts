// Turns what the Kubernetes client throws into errors the product can act on and explain:
// the cluster cannot be reached (503), it refused us (403 → 502 with the reason), a TLS
// problem (with the fix), or an API status (kept with its code).
import { ApiException } from '@kubernetes/client-node';

export type ClusterErrorKind = 'unreachable' | 'tls' | 'forbidden' | 'unauthorized' | 'api';

export class ClusterError extends Error {
  constructor(
    readonly kind: ClusterErrorKind,
    message: string,
    /** HTTP status of the Kubernetes API answer, when there was one. */
    readonly apiStatus?: number,
  ) {
    super(message);
    this.name = 'ClusterError';
  }
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_SOCKET',
]);
const TLS_CODES = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

function errorCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Message of a Kubernetes Status body, when the answer carried one. */
function statusMessage(body: unknown): string | undefined {
  try {
    const parsed = typeof body === 'string' ? JSON.parse(body) : body;
    return typeof parsed?.message === 'string' ? parsed.message : undefined;
  } catch {
    return typeof body === 'string' && body ? body.slice(0, 300) : undefined;
  }
}

export function toClusterError(e: unknown, server: string): ClusterError {
  if (e instanceof ClusterError) return e;
  if (e instanceof ApiException) {
    const msg = statusMessage(e.body) ?? `HTTP ${e.code}`;
    if (e.code === 401)
      return new ClusterError(
        'unauthorized',
        `the Kubernetes API server at ${server} rejected the kubeconfig's credentials (401): ${msg}. Refresh the kubeconfig (e.g. kind export kubeconfig).`,
        401,
      );
    if (e.code === 403) return new ClusterError('forbidden', `the kubeconfig's user is not allowed to do this (403): ${msg}`, 403);
    if (e.code === 503 || e.code === 504)
      return new ClusterError('unreachable', `the Kubernetes API server at ${server} is not ready (${e.code}): ${msg}`, e.code);
    return new ClusterError('api', msg, e.code);
  }
  const code = errorCode(e);
  const text = (e as Error)?.message ?? String(e);
  if (code && TLS_CODES.has(code)) {
    return new ClusterError(
      'tls',
      `TLS verification of the Kubernetes API server at ${server} failed (${code}): ${text}. If K8S_API_SERVER points at another name for a local cluster, keep the original server in the kubeconfig so its name is verified, or as a last resort set K8S_INSECURE_SKIP_TLS_VERIFY=true.`,
    );
  }
  if ((code && UNREACHABLE_CODES.has(code)) || /timed out|timeout|socket hang up|ECONNREFUSED|network/i.test(text)) {
    return new ClusterError(
      'unreachable',
      `the Kubernetes API server at ${server} is unreachable (${code ?? text}). Is the cluster running? Check with: kubectl cluster-info`,
    );
  }
  return new ClusterError('api', text);
}

export const isNotFound = (e: unknown) => e instanceof ApiException && e.code === 404;
export const isConflict = (e: unknown) => e instanceof ApiException && e.code === 409;

/** Rejects with an "unreachable" error when `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string, server: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ClusterError('unreachable', `the Kubernetes API server at ${server} did not answer ${what} within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
