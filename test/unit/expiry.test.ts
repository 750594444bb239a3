// When a sandbox expires (app/sandbox/expiry.ts): idle time after the last use, maximum age,
// whichever comes first; how often a use is written to the Pod.
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { describeExpiry, expiryFields, expiryOf, isUseWorthRecording, LAST_USED_ANNOTATION, lastUsedOf } from '../../app/sandbox/expiry.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const pod = (createdMs: number, usedMs?: number): V1Pod => ({
  metadata: {
    creationTimestamp: new Date(createdMs),
    annotations: usedMs === undefined ? {} : { [LAST_USED_ANNOTATION]: new Date(usedMs).toISOString() },
  },
});
const off = { idleSeconds: undefined, ttlSeconds: undefined };

describe('expiryOf', () => {
  it('never, when neither rule is set', () => {
    expect(expiryOf(pod(T0), off)).toBeUndefined();
    expect(expiryFields(pod(T0), off)).toEqual({ expires_at: null, expiry_reason: null });
  });

  it('idle: from the last use recorded on the Pod, or its creation when none is', () => {
    const rules = { idleSeconds: 600, ttlSeconds: undefined };
    expect(expiryOf(pod(T0), rules)).toEqual({ at: T0 + 600_000, reason: 'idle' });
    expect(expiryOf(pod(T0, T0 + 60_000), rules)).toEqual({ at: T0 + 660_000, reason: 'idle' });
    // A use this process recorded that the Pod does not show yet counts too.
    expect(expiryOf(pod(T0, T0 + 60_000), rules, T0 + 120_000)).toEqual({ at: T0 + 720_000, reason: 'idle' });
  });

  it('a last use older than the creation (a clock, or a copied annotation) does not shorten the life', () => {
    expect(lastUsedOf(pod(T0, T0 - 3_600_000))).toBe(T0);
    expect(lastUsedOf({ metadata: { annotations: { [LAST_USED_ANNOTATION]: 'not a time' } } })).toBeUndefined();
  });

  it('ttl: from creation however used; the earlier of the two wins', () => {
    const both = { idleSeconds: 600, ttlSeconds: 3600 };
    expect(expiryOf(pod(T0, T0 + 3_500_000), both)).toEqual({ at: T0 + 3_600_000, reason: 'ttl' });
    expect(expiryOf(pod(T0, T0 + 60_000), both)).toEqual({ at: T0 + 660_000, reason: 'idle' });
    expect(expiryFields(pod(T0), { idleSeconds: undefined, ttlSeconds: 60 })).toEqual({
      expires_at: '2026-12-01T10:01:00.000Z',
      expiry_reason: 'ttl',
    });
  });

  it('says why, naming the variable', () => {
    const rules = { idleSeconds: 900, ttlSeconds: 86_400 };
    expect(describeExpiry({ at: 0, reason: 'idle' }, rules)).toBe('not used for 900 s (SANDBOX_IDLE_SECONDS=900)');
    expect(describeExpiry({ at: 0, reason: 'ttl' }, rules)).toBe('older than 86400 s (SANDBOX_TTL_SECONDS=86400)');
  });
});

describe('isUseWorthRecording', () => {
  const rules = { idleSeconds: 600, ttlSeconds: undefined };
  it('writes a use once a tenth of the idle time has passed since the last one, at least a second', () => {
    expect(isUseWorthRecording(undefined, T0, rules)).toBe(true);
    expect(isUseWorthRecording(T0, T0 + 59_999, rules)).toBe(false);
    expect(isUseWorthRecording(T0, T0 + 60_000, rules)).toBe(true);
    expect(isUseWorthRecording(T0, T0 + 999, { idleSeconds: 2, ttlSeconds: undefined })).toBe(false);
    expect(isUseWorthRecording(T0, T0 + 1000, { idleSeconds: 2, ttlSeconds: undefined })).toBe(true);
  });
  it('never without idle expiry (a maximum age needs no uses)', () => {
    expect(isUseWorthRecording(undefined, T0, { idleSeconds: undefined, ttlSeconds: 60 })).toBe(false);
  });
});
