import { describe, expect, it } from 'vitest';
import { goneNow, presenceOf } from '../../renderer/src/state/sandbox-page.js';

const base = { live: false, listLoaded: true, detail: 'loading' as const, goneAt: undefined, seen: false };

describe('what the sandbox page may claim', () => {
  it('an id never seen that the server does not know: not found (not the previous sandbox, not "Running")', () => {
    expect(presenceOf({ ...base, detail: 'not-found' })).toEqual({ kind: 'not-found' });
    expect(presenceOf({ ...base })).toEqual({ kind: 'loading' });
  });
  it('present when live, or read directly while the list lags', () => {
    expect(presenceOf({ ...base, live: true, detail: 'not-found' })).toEqual({ kind: 'present' });
    expect(presenceOf({ ...base, detail: 'loaded' })).toEqual({ kind: 'present' });
  });
  it('gone since it was seen: deleted, with the time noted once', () => {
    expect(goneNow({ live: false, listLoaded: true, seen: true, goneAt: undefined })).toBe(true);
    expect(goneNow({ live: false, listLoaded: false, seen: true, goneAt: undefined })).toBe(false);
    expect(goneNow({ live: false, listLoaded: true, seen: false, goneAt: undefined })).toBe(false);
    expect(goneNow({ live: false, listLoaded: true, seen: true, goneAt: 'x' })).toBe(false);
    expect(presenceOf({ ...base, detail: 'loaded', seen: true, goneAt: '2026-12-02T10:00:00.000Z' })).toEqual({
      kind: 'deleted',
      at: '2026-12-02T10:00:00.000Z',
    });
    expect(presenceOf({ ...base, detail: 'not-found', seen: true }).kind).toBe('deleted');
  });
  it('a read that failed otherwise is an error, said as such', () => {
    expect(presenceOf({ ...base, detail: { error: 'no cluster in use' } })).toEqual({ kind: 'error', message: 'no cluster in use' });
  });
});
