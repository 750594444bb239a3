import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { logProblem } from '../../app/desk/sandbox-logs.js';

const pod = (container: object | undefined): V1Pod => ({
  metadata: { name: 'sandbox-a' },
  status: {
    containerStatuses: container ? [{ name: 'sandbox', image: 'i', imageID: '', ready: false, restartCount: 0, ...container }] : [],
  },
});
const running = pod({ state: { running: {} }, ready: true });

describe('logProblem: why logs could not be read, as a sentence, never the client dump', () => {
  it('a sandbox that is gone says so, whatever the code', () => {
    expect(logProblem({ id: 'a', status: 400, detail: undefined, pod: undefined, opts: {} })).toBe(
      'Sandbox a no longer exists (it was deleted), so it has no logs to show.',
    );
    expect(logProblem({ id: 'a', status: 404, detail: undefined, pod: running, opts: {} })).toContain('no longer exists');
  });

  it('previous container of a container that never restarted', () => {
    const m = logProblem({ id: 'a', status: 400, detail: undefined, pod: running, opts: { previous: true } });
    expect(m).toContain('has not restarted');
    expect(m).toContain('turn "previous container" off');
    // After a restart the previous container exists: the error is something else.
    const restarted = pod({ state: { running: {} }, restartCount: 1, lastState: { terminated: { exitCode: 1 } } });
    expect(logProblem({ id: 'a', status: 500, detail: 'boom', pod: restarted, opts: { previous: true } })).not.toContain(
      'has not restarted',
    );
  });

  it('a container that has not started names what it waits for', () => {
    const m = logProblem({
      id: 'a',
      status: 400,
      detail: undefined,
      pod: pod({ state: { waiting: { reason: 'ErrImageNeverPull', message: 'image x not present' } } }),
      opts: {},
    });
    expect(m).toBe(
      "Sandbox a's container has not started yet (ErrImageNeverPull: image x not present): its logs appear once it runs; the Events tab says what it is waiting for.",
    );
    expect(logProblem({ id: 'a', status: 400, detail: undefined, pod: pod(undefined), opts: {} })).toContain('has not started yet:');
  });

  it('a refusal names the permission; anything else keeps the API server’s words and no headers', () => {
    expect(logProblem({ id: 'a', status: 403, detail: undefined, pod: running, opts: {} })).toContain('pods/log');
    const m = logProblem({ id: 'a', status: 500, detail: 'etcd timeout', pod: running, opts: {} });
    expect(m).toBe(
      'The logs of sandbox a could not be read (HTTP 500: etcd timeout). Try again; if it persists, the Events tab may say why.',
    );
    expect(m).not.toMatch(/Headers|audit-id|Body:/);
  });
});
