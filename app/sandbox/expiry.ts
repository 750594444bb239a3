// When a sandbox expires (issue #14; off unless set): SANDBOX_IDLE_SECONDS after its last use (a
// create or get through the API, the app's logs, Keep), SANDBOX_TTL_SECONDS after its creation,
// whichever comes first. The last use is an annotation on the Pod, so a restart of the
// provisioner forgets nothing. Pure rules: the provisioner records uses and its sweep deletes.
import type { V1Pod } from '@kubernetes/client-node';

export const LAST_USED_ANNOTATION = 'deer-flow/last-used-at';

export interface ExpiryRules {
  /** Seconds without use before a sandbox goes; undefined: never. */
  idleSeconds: number | undefined;
  /** Seconds after creation before a sandbox goes, however used; undefined: never. */
  ttlSeconds: number | undefined;
}

export interface Expiry {
  /** Epoch ms. */
  at: number;
  reason: 'idle' | 'ttl';
}

/** A time from the API (the client gives Date objects; annotations are ISO strings). */
function timeOf(v: unknown): number | undefined {
  const t = v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : Number.NaN;
  return Number.isNaN(t) ? undefined : t;
}

/** The Pod's last use: the newest of its annotation, a use this process recorded, its creation. */
export function lastUsedOf(pod: V1Pod, recorded?: number): number | undefined {
  const times = [timeOf(pod.metadata?.creationTimestamp), timeOf(pod.metadata?.annotations?.[LAST_USED_ANNOTATION]), recorded].filter(
    (t): t is number => t !== undefined,
  );
  return times.length ? Math.max(...times) : undefined;
}

/** When the Pod's sandbox expires under the rules, and why; undefined when it never does. */
export function expiryOf(pod: V1Pod, rules: ExpiryRules, recordedUse?: number): Expiry | undefined {
  const out: Expiry[] = [];
  const used = lastUsedOf(pod, recordedUse);
  const created = timeOf(pod.metadata?.creationTimestamp);
  if (rules.idleSeconds !== undefined && used !== undefined) out.push({ at: used + rules.idleSeconds * 1000, reason: 'idle' });
  if (rules.ttlSeconds !== undefined && created !== undefined) out.push({ at: created + rules.ttlSeconds * 1000, reason: 'ttl' });
  return out.sort((a, b) => a.at - b.at)[0];
}

/** The fields the app shows: when the sandbox goes and why (null when it never does). */
export function expiryFields(
  pod: V1Pod | undefined,
  rules: ExpiryRules,
): { expires_at: string | null; expiry_reason: Expiry['reason'] | null } {
  const e = pod ? expiryOf(pod, rules) : undefined;
  return { expires_at: e ? new Date(e.at).toISOString() : null, expiry_reason: e?.reason ?? null };
}

/** For the log line of a removal: why, with the variable that decided it. */
export function describeExpiry(e: Expiry, rules: ExpiryRules): string {
  return e.reason === 'idle'
    ? `not used for ${rules.idleSeconds} s (SANDBOX_IDLE_SECONDS=${rules.idleSeconds})`
    : `older than ${rules.ttlSeconds} s (SANDBOX_TTL_SECONDS=${rules.ttlSeconds})`;
}

/**
 * Whether a use now should be written to the Pod: only when the recorded one is older than a
 * tenth of the idle time (at least 1 s), so a DeerFlow asking every second costs one PATCH per
 * interval, not one per request; the sweep's margin stays nine tenths of the idle time.
 */
export function isUseWorthRecording(lastUsed: number | undefined, now: number, rules: ExpiryRules): boolean {
  if (rules.idleSeconds === undefined) return false;
  if (lastUsed === undefined) return true;
  return now - lastUsed >= Math.max(1_000, (rules.idleSeconds * 1000) / 10);
}
