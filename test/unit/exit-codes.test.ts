import { afterEach, describe, expect, it, vi } from 'vitest';
import { commandAction, EXIT, exitCodeOf, UsageError } from '../../app/cli/exit-codes.js';
import { InvalidPlanError } from '../../app/cluster/data-folders.js';
import { AppError, FieldsError } from '../../app/errors.js';

afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

describe('exit statuses, from the error category (one mapping)', () => {
  it('bad input is usage (2), anything else a failure (1)', () => {
    expect(exitCodeOf(new UsageError('give --kind or --minikube'))).toBe(EXIT.usage);
    expect(exitCodeOf(new FieldsError([{ field: 'name', message: 'bad' }]))).toBe(EXIT.usage);
    expect(exitCodeOf(new InvalidPlanError([{ option: '--data-dir', message: 'required' }]))).toBe(EXIT.usage);
    expect(exitCodeOf(new AppError('conflict', 'another run holds the lock'))).toBe(EXIT.failed);
    expect(exitCodeOf(new AppError('unavailable', 'cluster down'))).toBe(EXIT.failed);
    expect(exitCodeOf(new Error('boom'))).toBe(EXIT.failed);
  });

  it('an action sets its own status, or prints the error with the command name and its status', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await commandAction('migrate', async () => EXIT.needsYou)();
    expect(process.exitCode).toBe(3);
    await commandAction('cluster delete', async () => {
      throw new UsageError('--name is required');
    })();
    expect(process.exitCode).toBe(2);
    expect(err).toHaveBeenLastCalledWith('cluster delete: --name is required\n');
    await commandAction('kubeconfig', () => {
      throw new Error('no such context');
    })();
    expect(process.exitCode).toBe(1);
    expect(err).toHaveBeenLastCalledWith('kubeconfig: no such context\n');
  });
});
