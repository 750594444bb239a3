// The renderer's pure logic: the SSE parser, the typed client (against a fake fetch that
// records requests), the sandbox table's rows, the log buffer, form checks, routes, the
// connection banner text.
import { describe, expect, it } from 'vitest';
import type { ClusterStatus, JobView } from '../../app/desk/contract.js';
import type { Sandbox } from '../../app/sandbox/model.js';
import { DeskClient, DeskError } from '../../renderer/src/api/client.js';
import { parseSse, readSse } from '../../renderer/src/api/sse.js';
import { age } from '../../renderer/src/format.js';
import { highlightParts, LogBuffer, matchingLines, splitTimestamp } from '../../renderer/src/logs/log-buffer.js';
import { hrefOf, parseRoute } from '../../renderer/src/router.js';
import { createFormProblems } from '../../renderer/src/screens/CreateSandboxDialog.js';
import { connectionProblem } from '../../renderer/src/state/cluster.js';
import { useJobs } from '../../renderer/src/state/jobs.js';
import { shownDir, useSandboxes, visibleSandboxes } from '../../renderer/src/state/sandboxes.js';

const sb = (id: string, over: Partial<Sandbox> = {}): Sandbox => ({
  sandbox_id: id,
  sandbox_url: `http://h:${30000 + id.length}`,
  status: 'Running',
  thread_id: `t-${id}`,
  user_id: 'default',
  ready: true,
  node_port: 30000 + id.length,
  created_at: '2026-11-28T10:00:00.000Z',
  reason: null,
  expires_at: null,
  expiry_reason: null,
  ...over,
});

describe('parseSse', () => {
  it('returns complete messages and keeps the unfinished rest', () => {
    const { data, rest } = parseSse('retry: 2000\n\ndata: {"a":1}\n\n: keep-alive\n\ndata: {"b":');
    expect(data).toEqual([{ a: 1 }]);
    expect(rest).toBe('data: {"b":');
    expect(parseSse(`${rest}2}\n\n`).data).toEqual([{ b: 2 }]);
  });

  it('joins multi-line data and skips a malformed message', () => {
    expect(parseSse('data: [1,\ndata: 2]\n\ndata: {oops\n\ndata: 3\n\n').data).toEqual([[1, 2], 3]);
  });

  it('reads a stream split at any byte, including inside a UTF-8 character', async () => {
    const bytes = new TextEncoder().encode('data: {"line":"héllo"}\n\ndata: {"line":"wörld"}\n\n');
    const chunks = [bytes.slice(0, 17), bytes.slice(17, 19), bytes.slice(19)];
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const ch of chunks) c.enqueue(ch);
        c.close();
      },
    });
    const got: unknown[] = [];
    await readSse(body, (d) => got.push(d));
    expect(got).toEqual([{ line: 'héllo' }, { line: 'wörld' }]);
  });
});

describe('DeskClient', () => {
  function recording(status: number, body: unknown) {
    const calls: { url: string; init: RequestInit }[] = [];
    const fetchImpl = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    }) as unknown as typeof fetch;
    return { calls, client: new DeskClient('http://127.0.0.1:5000', 'tok', fetchImpl) };
  }

  it('sends each operation with its method, filled path, token and JSON body', async () => {
    const r = recording(200, { ok: true, sandbox_id: 'a b' });
    await r.client.call('deleteSandbox', { params: { id: 'a b' } });
    await r.client.call('createSandbox', { body: { sandbox_id: 'x' } });
    expect(r.calls.map((c) => [c.init.method, c.url])).toEqual([
      ['DELETE', 'http://127.0.0.1:5000/desk/sandboxes/a%20b'],
      ['POST', 'http://127.0.0.1:5000/desk/sandboxes'],
    ]);
    expect(r.calls[1]?.init.headers).toEqual({ 'x-desk-token': 'tok', 'content-type': 'application/json' });
    expect(r.calls[1]?.init.body).toBe('{"sandbox_id":"x"}');
    expect(r.calls[0]?.init.body).toBeUndefined();
  });

  it('turns a 422 into a DeskError with errors by field', async () => {
    const r = recording(422, { detail: [{ loc: ['body', 'sandbox_id'], msg: 'sandbox_id must be …', type: 'value_error' }] });
    const err = await r.client.call('createSandbox', { body: { sandbox_id: 'X' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeskError);
    expect((err as DeskError).status).toBe(422);
    expect((err as DeskError).fields).toEqual({ sandbox_id: 'sandbox_id must be …' });
  });

  it('keeps a plain detail as the message', async () => {
    const r = recording(503, { detail: 'Kubernetes is unavailable: …' });
    await expect(r.client.call('listSandboxes')).rejects.toThrow('Kubernetes is unavailable: …');
  });
});

describe('sandbox table', () => {
  const byId = new Map(
    [sb('beta', { status: 'Pending', user_id: 'bob' }), sb('alpha'), sb('gamma', { status: 'Failed' })].map((s) => [s.sandbox_id, s]),
  );

  it('filters on every word, across id, thread, user, phase and URL', () => {
    expect(visibleSandboxes(byId, 'bob', { key: 'sandbox_id', dir: 1 }).map((s) => s.sandbox_id)).toEqual(['beta']);
    expect(visibleSandboxes(byId, 'RUNNING alpha', { key: 'sandbox_id', dir: 1 }).map((s) => s.sandbox_id)).toEqual(['alpha']);
    expect(visibleSandboxes(byId, 'nothing', { key: 'sandbox_id', dir: 1 })).toEqual([]);
  });

  it('sorts by a column in either direction, ties by id', () => {
    expect(visibleSandboxes(byId, '', { key: 'sandbox_id', dir: -1 }).map((s) => s.sandbox_id)).toEqual(['gamma', 'beta', 'alpha']);
    expect(visibleSandboxes(byId, '', { key: 'status', dir: 1 }).map((s) => s.status)).toEqual(['Failed', 'Pending', 'Running']);
  });

  it('the Age heading reads by age: newest first (created_at descending, the default) is ▲', () => {
    expect(useSandboxes.getState().sort).toEqual({ key: 'created_at', dir: -1 });
    expect(shownDir('created_at', -1)).toBe(1);
    expect(shownDir('created_at', 1)).toBe(-1);
    expect(shownDir('sandbox_id', -1)).toBe(-1);
  });

  it('store: changes upsert and remove, and a removed row leaves the selection', () => {
    const store = useSandboxes.getState();
    store.replaceAll([sb('a'), sb('b')]);
    useSandboxes.getState().setSelected(['a', 'b']);
    useSandboxes.getState().applyChanges([
      { id: 'a', sandbox: null },
      { id: 'c', sandbox: sb('c') },
      { id: 'b', sandbox: sb('b', { status: 'Failed' }) },
    ]);
    const s = useSandboxes.getState();
    expect([...s.byId.keys()].sort()).toEqual(['b', 'c']);
    expect(s.byId.get('b')?.status).toBe('Failed');
    expect([...s.selected]).toEqual(['b']);
    // Applying the same change twice changes nothing (events after a resync may repeat).
    useSandboxes.getState().applyChanges([{ id: 'c', sandbox: sb('c') }]);
    expect(useSandboxes.getState().byId.size).toBe(2);
  });

  it('sorting the same column twice reverses it', () => {
    useSandboxes.getState().sortBy('user_id');
    expect(useSandboxes.getState().sort).toEqual({ key: 'user_id', dir: 1 });
    useSandboxes.getState().sortBy('user_id');
    expect(useSandboxes.getState().sort).toEqual({ key: 'user_id', dir: -1 });
  });
});

describe('jobs store', () => {
  it('keeps the newest snapshot of a job even when an older one arrives last', () => {
    const base = { id: 'j1', kind: 'migration', title: 't', cancellable: false, progress: undefined, error: undefined } as const;
    const done: JobView = { ...base, lines: [], state: 'done', result: { nothingToDo: true }, revision: 3 };
    const started: JobView = { ...base, lines: [], state: 'running', result: undefined, revision: 1 };
    useJobs.getState().upsert(done);
    useJobs.getState().upsert(started); // the start answer, delivered after the job's done event
    expect(useJobs.getState().byId.j1?.state).toBe('done');
    useJobs.getState().upsert({ ...done, revision: 4, lines: ['later'] });
    expect(useJobs.getState().byId.j1?.lines).toEqual(['later']);
  });
});

describe('LogBuffer', () => {
  it('keeps the newest lines up to its capacity and counts what it dropped', () => {
    const b = new LogBuffer(3);
    b.append(['1', '2']);
    b.append(['3', '4', '5']);
    expect(b.toArray()).toEqual(['3', '4', '5']);
    expect([b.length, b.total, b.dropped]).toEqual([3, 5, 2]);
    expect(b.at(0)).toBe('3');
  });

  it('stays bounded over a million lines', () => {
    const b = new LogBuffer(1000);
    for (let i = 0; i < 1000; i++) b.append(Array.from({ length: 1000 }, (_, j) => `line ${i * 1000 + j}`));
    expect(b.length).toBe(1000);
    expect(b.at(999)).toBe('line 999999');
    expect(b.dropped).toBe(999_000);
    expect((b as unknown as { buf: string[] }).buf.length).toBeLessThanOrEqual(2001);
  });

  it('search: matching line indices, highlight parts, timestamps split off', () => {
    const b = new LogBuffer(10);
    b.append(['GET /a', 'post /b', 'get /c']);
    expect(matchingLines(b, 'get')).toEqual([0, 2]);
    expect(matchingLines(b, '')).toEqual([0, 1, 2]);
    expect(highlightParts('a GET b get', 'get')).toEqual([
      { text: 'a ', match: false },
      { text: 'GET', match: true },
      { text: ' b ', match: false },
      { text: 'get', match: true },
    ]);
    expect(splitTimestamp('2026-11-28T17:00:00.123456789Z hello world')).toEqual({
      ts: '2026-11-28T17:00:00.123456789Z',
      text: 'hello world',
    });
    expect(splitTimestamp('no timestamp')).toEqual({ ts: undefined, text: 'no timestamp' });
  });
});

describe('small pieces', () => {
  it('create form: the API rules, as typed', () => {
    expect(createFormProblems({ sandbox_id: 'ok-1', thread_id: '', user_id: '' })).toEqual({
      sandbox_id: undefined,
      thread_id: undefined,
      user_id: undefined,
    });
    const bad = createFormProblems({ sandbox_id: 'Bad_ID', thread_id: 'a/b', user_id: 'x y' });
    expect(bad.sandbox_id).toMatch(/^sandbox id /);
    expect(bad.thread_id).toMatch(/^thread id /);
    expect(bad.user_id).toMatch(/^user id /);
    expect(createFormProblems({ sandbox_id: '', thread_id: '', user_id: '' }).sandbox_id).toBe('sandbox id is required');
  });

  it('routes', () => {
    expect(parseRoute('#/sandboxes/a%20b')).toEqual({ screen: 'sandbox', id: 'a b', tab: 'overview' });
    expect(parseRoute('#/sandboxes/a/terminal')).toEqual({ screen: 'sandbox', id: 'a', tab: 'terminal' });
    expect(parseRoute('#/sandboxes/a/nonsense')).toEqual({ screen: 'sandbox', id: 'a', tab: 'overview' });
    expect(parseRoute('')).toEqual({ screen: 'sandboxes' });
    expect(parseRoute('#/nowhere')).toEqual({ screen: 'sandboxes' });
    expect(hrefOf({ screen: 'sandbox', id: 'a b', tab: 'overview' })).toBe('#/sandboxes/a%20b');
    expect(hrefOf({ screen: 'sandbox', id: 'a', tab: 'files' })).toBe('#/sandboxes/a/files');
    expect(parseRoute(hrefOf({ screen: 'migration' }))).toEqual({ screen: 'migration' });
  });

  it('age', () => {
    const now = Date.parse('2026-11-28T10:00:00Z');
    expect(age('2026-11-28T09:59:30Z', now)).toBe('30s');
    expect(age('2026-11-28T07:00:00Z', now)).toBe('3h');
    expect(age(null, now)).toBe('');
  });

  it('connection banner says what is wrong, and nothing when all is well', () => {
    const status = { current: 'kind-dev', problem: undefined, reachability: { state: 'ready', version: 'v1' } } as unknown as ClusterStatus;
    expect(connectionProblem({ status, stream: 'open', watching: true, watchMessage: undefined })).toBeUndefined();
    expect(connectionProblem({ status, stream: 'reconnecting', watching: true, watchMessage: undefined })).toMatch(/reconnecting/);
    expect(connectionProblem({ status, stream: 'open', watching: false, watchMessage: 'lost the watch' })).toBe('lost the watch');
    const down = { ...status, reachability: { state: 'unreachable', message: 'ECONNREFUSED' } } as ClusterStatus;
    expect(connectionProblem({ status: down, stream: 'open', watching: false, watchMessage: undefined })).toBe(
      'Cluster unreachable (kind-dev): ECONNREFUSED',
    );
    expect(
      connectionProblem({ status: { ...status, problem: 'no kubeconfig' }, stream: 'open', watching: false, watchMessage: undefined }),
    ).toMatch(/^No cluster in use: no kubeconfig/);
  });
});
