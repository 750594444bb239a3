// Names and identifiers: what a sandbox id, thread id and user id may be, and the object
// names derived from them. The same rules serve the API's validation, the specs and the UI.

const POD_PREFIX = 'sandbox-';
const SERVICE_SUFFIX = '-svc';
/** `sandbox-{id}-svc` is a DNS-1035 label of at most 63 characters. */
export const SANDBOX_ID_MAX_LENGTH = 63 - POD_PREFIX.length - SERVICE_SUFFIX.length;
export const SANDBOX_ID_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const THREAD_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const USER_ID_PATTERN = /^[A-Za-z0-9_-]+$/;
export const USER_ID_MAX_LENGTH = 128;
export const DEFAULT_USER_ID = 'default';

export const podName = (sandboxId: string) => `${POD_PREFIX}${sandboxId}`;
export const serviceName = (sandboxId: string) => `${POD_PREFIX}${sandboxId}${SERVICE_SUFFIX}`;

/** Why a sandbox id is unusable, or undefined when it is fine. */
export function sandboxIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string') return 'must be a string';
  if (id.length === 0) return 'must not be empty';
  if (id.length > SANDBOX_ID_MAX_LENGTH) {
    return `is ${id.length} characters long; at most ${SANDBOX_ID_MAX_LENGTH} fit, since "${serviceName('…')}" must be a DNS label of at most 63 characters`;
  }
  if (!SANDBOX_ID_PATTERN.test(id)) {
    return 'may contain only lower-case letters, digits and "-", and must start and end with a letter or digit';
  }
  return undefined;
}

export function threadIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string') return 'must be a string';
  if (!THREAD_ID_PATTERN.test(id)) return 'must be 1 to 64 characters of letters, digits, "_" and "-"';
  return undefined;
}

export function userIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string') return 'must be a string';
  if (id.length > USER_ID_MAX_LENGTH || !USER_ID_PATTERN.test(id)) {
    return `must be 1 to ${USER_ID_MAX_LENGTH} characters of letters, digits, "_" and "-"`;
  }
  return undefined;
}
