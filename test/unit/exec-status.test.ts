import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../app/kube/exec.js';

describe('exitCodeOf', () => {
  it('is 0 for a Success status and for no status', () => {
    expect(exitCodeOf({ status: 'Success' })).toBe(0);
    expect(exitCodeOf(undefined)).toBe(0);
  });
  it("reads a kubelet's NonZeroExitCode cause", () => {
    expect(exitCodeOf({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '42' }] } })).toBe(
      42,
    );
  });
  it("reads kwok's 'exit status N' message", () => {
    expect(exitCodeOf({ status: 'Failure', message: 'error executing command in container: cmd wait: sh -c exit 3: exit status 3' })).toBe(
      3,
    );
  });
  it('is -1 for a failure that carries no exit code', () => {
    expect(exitCodeOf({ status: 'Failure', message: 'container not found' })).toBe(-1);
  });
});
