import { describe, expect, it } from 'vitest';
import { isAbsoluteHostPath, joinHostPath } from '../../app/config/host-path.js';
import { podName, SANDBOX_ID_MAX_LENGTH, sandboxIdProblem, serviceName, threadIdProblem, userIdProblem } from '../../app/sandbox/names.js';
import { ValidationError, validateCreateInput } from '../../app/sandbox/provisioner.js';

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

describe('sandbox ids', () => {
  it('accept what makes valid object names, up to the longest that fits', () => {
    const longest = 'a'.repeat(SANDBOX_ID_MAX_LENGTH);
    for (const id of ['a', 'abc123', 'a-b', '0af3', longest]) {
      expect(sandboxIdProblem(id)).toBeUndefined();
      expect(serviceName(id).length).toBeLessThanOrEqual(63);
      expect(serviceName(id)).toMatch(DNS1035);
      expect(podName(id).length).toBeLessThanOrEqual(63);
    }
    expect(SANDBOX_ID_MAX_LENGTH).toBe(51);
  });

  it.each(['', 'A', 'a_b', '-a', 'a-', '../x', 'a/b', 'a.b', 'a b', 'é', 'a'.repeat(52)])('reject %j', (id) => {
    expect(sandboxIdProblem(id)).toBeDefined();
  });

  it('reject non-strings', () => {
    expect(sandboxIdProblem(42)).toBe('must be a string');
    expect(threadIdProblem(null)).toBe('must be a string');
    expect(userIdProblem({})).toBe('must be a string');
  });

  it('thread and user ids allow letters, digits, _ and -', () => {
    expect(threadIdProblem('Thread_1-x')).toBeUndefined();
    expect(threadIdProblem('t'.repeat(64))).toBeUndefined();
    expect(threadIdProblem('t'.repeat(65))).toBeDefined();
    expect(threadIdProblem('../x')).toBeDefined();
    expect(userIdProblem('User_1')).toBeUndefined();
    expect(userIdProblem('')).toBeDefined();
    expect(userIdProblem('a/b')).toBeDefined();
  });
});

describe('validateCreateInput', () => {
  it('defaults thread_id to sandbox_id (absent or null) and user_id to default (absent)', () => {
    expect(validateCreateInput({ sandbox_id: 'abc' })).toEqual({ sandboxId: 'abc', threadId: 'abc', userId: 'default' });
    expect(validateCreateInput({ sandbox_id: 'abc', thread_id: null })).toEqual({
      sandboxId: 'abc',
      threadId: 'abc',
      userId: 'default',
    });
  });
  it('names the field that is wrong', () => {
    expect(() => validateCreateInput({ sandbox_id: 'abc', user_id: '..' })).toThrow(ValidationError);
    try {
      validateCreateInput({ sandbox_id: 'abc', thread_id: 'a/b' });
    } catch (e) {
      expect((e as ValidationError).field).toBe('thread_id');
    }
  });
});

describe('host paths', () => {
  it('recognise absolute POSIX and Windows paths', () => {
    expect(isAbsoluteHostPath('/data')).toBe(true);
    expect(isAbsoluteHostPath('C:\\data')).toBe(true);
    expect(isAbsoluteHostPath('c:/data')).toBe(true);
    expect(isAbsoluteHostPath('\\\\server\\share\\x')).toBe(true);
    expect(isAbsoluteHostPath('data')).toBe(false);
    expect(isAbsoluteHostPath('./data')).toBe(false);
  });
  it('join in the style of the base', () => {
    expect(joinHostPath('/data/threads', 't1', 'user-data')).toBe('/data/threads/t1/user-data');
    expect(joinHostPath('/data/threads/', 't1')).toBe('/data/threads/t1');
    expect(joinHostPath('/', 't1')).toBe('/t1');
    expect(joinHostPath('C:\\deer\\threads', 't1', 'user-data')).toBe('C:\\deer\\threads\\t1\\user-data');
    expect(joinHostPath('C:\\deer\\threads\\', 't1')).toBe('C:\\deer\\threads\\t1');
    expect(joinHostPath('\\\\nas\\share', 't1')).toBe('\\\\nas\\share\\t1');
  });
});
