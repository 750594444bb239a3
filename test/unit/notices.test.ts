import { afterEach, describe, expect, it, vi } from 'vitest';
import { INFO_NOTICE_MS, noticeError, useNotices } from '../../renderer/src/state/notices.js';

afterEach(() => {
  vi.useRealTimers();
  useNotices.setState({ notices: [] });
});

describe('notices', () => {
  it('info notices leave by themselves; errors stay', () => {
    vi.useFakeTimers();
    useNotices.getState().push({ level: 'info', title: 'Deleted a' });
    noticeError('Scanning', new Error('no such folder'));
    vi.advanceTimersByTime(INFO_NOTICE_MS - 1);
    expect(useNotices.getState().notices.map((n) => n.title)).toEqual(['Deleted a', 'Scanning failed']);
    vi.advanceTimersByTime(1);
    expect(useNotices.getState().notices.map((n) => n.title)).toEqual(['Scanning failed']);
  });

  it('one notice per action: a repeat replaces it, success of the action clears it', () => {
    noticeError('Scanning', new Error('first'));
    noticeError('Scanning', new Error('second'));
    noticeError('Deleting a', new Error('x'));
    expect(useNotices.getState().notices.map((n) => n.detail)).toEqual(['second', 'x']);
    useNotices.getState().clearAction('Scanning');
    expect(useNotices.getState().notices.map((n) => n.title)).toEqual(['Deleting a failed']);
  });

  it('at most five at once, the oldest go first', () => {
    for (let i = 0; i < 8; i++) noticeError(`Action ${i}`, new Error('x'));
    expect(useNotices.getState().notices.map((n) => n.action)).toEqual(['Action 3', 'Action 4', 'Action 5', 'Action 6', 'Action 7']);
  });
});
