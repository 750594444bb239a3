// Entering a sandbox from the app, on the real API server: a terminal (exec with a TTY through
// the API server to kwok, which runs the shell on this machine in a pty), the files of the
// sandbox read on the host (hostPath under DEER_FLOW_HOST_BASE_DIR) and through the cluster
// (exec scripts in the container; kwok runs them here in the Pod's exec folder).
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { list as listTar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TerminalEvent } from '../../app/desk/contract.js';
import { ClusterFiles } from '../../app/desk/sandbox-files.js';
import { DeskError } from '../../renderer/src/api/client.js';
import { wirePortForward } from '../cluster/kwok.js';
import { startDesk, testKubeConfig, uniqueName, waitUntil, wirePodToFolder } from './helpers.js';

const kc = testKubeConfig();
const namespace = uniqueName('access');
const base = mkdtempSync(join(tmpdir(), 'spd-access-'));
let desk: Awaited<ReturnType<typeof startDesk>>;
let execDir = '';

beforeAll(async () => {
  desk = await startDesk({ K8S_NAMESPACE: namespace, DEER_FLOW_HOST_BASE_DIR: base, THREADS_HOST_PATH: join(base, 'threads') });
  await waitUntil('watch synced', async () => (await desk.client.call('listSandboxes')).watching);
  await desk.client.call('createSandbox', { body: { sandbox_id: 'acc-1', thread_id: 't1' } });
  ({ workDir: execDir } = await wirePodToFolder(kc, namespace, 'sandbox-acc-1'));
  await waitUntil(
    'Running',
    async () => (await desk.client.call('sandboxDetail', { params: { id: 'acc-1' } })).sandbox.status === 'Running',
  );
});

afterAll(async () => {
  await desk?.close();
  await kc
    .makeApiClient((await import('@kubernetes/client-node')).CoreV1Api)
    .deleteNamespace({ name: namespace })
    .catch(() => undefined);
});

describe('open', () => {
  it('gives an address on this machine that reaches the sandbox’s port through the API server’s port-forward', async () => {
    // The "container" behind kwok's port-forward: a small HTTP server on this machine.
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => res.end(`sandbox answered ${req.url}`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      await wirePortForward(kc, namespace, 'sandbox-acc-1', 8080, (server.address() as { port: number }).port);
      const { url } = await desk.client.call('openSandbox', { params: { id: 'acc-1' } });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const answer = await waitUntil('the forwarded answer', async () => {
        const r = await fetch(`${url}/v1/sandbox`, { signal: AbortSignal.timeout(5000) });
        return r.ok ? r.text() : undefined;
      });
      expect(answer).toBe('sandbox answered /v1/sandbox');
      expect((await desk.client.call('openSandbox', { params: { id: 'acc-1' } })).url).toBe(url);
      expect(desk.core.openedAddresses()).toEqual([{ sandbox_id: 'acc-1', sandbox_url: url }]);
      // Connecting again (another context, or the same one anew) closes it: it led to the old connection.
      await desk.client.call('useContext', { body: { name: testKubeConfig().getCurrentContext() } });
      expect(desk.core.openedAddresses()).toEqual([]);
      await expect(fetch(`${url}/v1/sandbox`)).rejects.toThrow();
      await waitUntil('watch synced again', async () => (await desk.client.call('listSandboxes')).watching);
      const missing = await desk.client.call('openSandbox', { params: { id: 'nope-1' } }).catch((e: unknown) => e);
      expect(missing).toMatchObject({ status: 404 });
    } finally {
      server.close();
    }
  });
});

describe('terminal', () => {
  it('runs a shell with a TTY: typed commands answer, the window size reaches it, a second attach replays the screen', async () => {
    const t = await desk.client.call('openTerminal', { params: { id: 'acc-1' }, body: { cols: 100, rows: 30 } });
    expect(t).toMatchObject({ sandboxId: 'acc-1', state: 'open', title: 'Terminal 1' });
    const events: TerminalEvent[] = [];
    const abort = new AbortController();
    void desk.client.terminal(t.id, (e) => events.push(e), abort.signal).catch(() => undefined);
    const text = () => events.map((e) => ('data' in e ? e.data : '')).join('');
    await desk.client.call('terminalInput', { params: { tid: t.id }, body: { data: 'echo "sum=$((6*7))"; stty size\r' } });
    await waitUntil('the shell answers', async () => text().includes('sum=42') && /30 100/.test(text()));
    await desk.client.call('resizeTerminal', { params: { tid: t.id }, body: { cols: 120, rows: 40 } });
    await desk.client.call('terminalInput', { params: { tid: t.id }, body: { data: 'stty size\r' } });
    await waitUntil('the new size', async () => /40 120/.test(text()));
    abort.abort();
    // A tab opened later: the screen so far comes first, as one event.
    const later: TerminalEvent[] = [];
    const again = new AbortController();
    void desk.client.terminal(t.id, (e) => later.push(e), again.signal).catch(() => undefined);
    await waitUntil('the replayed screen', async () => later[0]?.type === 'screen');
    expect((later[0] as { data: string }).data).toContain('sum=42');
    await desk.client.call('terminalInput', { params: { tid: t.id }, body: { data: 'exit\r' } });
    await waitUntil('ended', async () => later.some((e) => e.type === 'ended'));
    again.abort();
    expect((await desk.client.call('listTerminals', { params: { id: 'acc-1' } }))[0]).toMatchObject({ id: t.id, state: 'ended' });
    await desk.client.call('closeTerminal', { params: { tid: t.id } });
    expect(await desk.client.call('listTerminals', { params: { id: 'acc-1' } })).toEqual([]);
  });

  it('refuses a sandbox that does not exist and an unknown terminal, saying what to do', async () => {
    const missing = await desk.client
      .call('openTerminal', { params: { id: 'nope-1' }, body: { cols: 80, rows: 24 } })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(DeskError);
    expect(missing).toMatchObject({ status: 404, message: 'Sandbox nope-1 does not exist (it may have been deleted): no terminal' });
    const unknown = await desk.client
      .call('terminalInput', { params: { tid: '00000000-0000-4000-8000-000000000000' }, body: { data: 'x' } })
      .catch((e: unknown) => e);
    expect(unknown).toMatchObject({ status: 404 });
    const stream = await desk.client
      .terminal('00000000-0000-4000-8000-000000000000', () => {}, new AbortController().signal)
      .catch((e: unknown) => e);
    expect(stream).toMatchObject({ status: 404 });
  });
});

describe('files on the host (hostPath under DEER_FLOW_HOST_BASE_DIR)', () => {
  const root = join(base, 'threads', 't1', 'user-data');
  beforeAll(() => {
    mkdirSync(join(root, 'workspace'), { recursive: true });
    writeFileSync(join(root, 'workspace', 'hello.txt'), 'hi from the agent\n');
    writeFileSync(join(base, 'outside.txt'), 'not yours');
    symlinkSync(join(base, 'outside.txt'), join(root, 'workspace', 'sneaky'));
  });

  it('lists, downloads and uploads through the desk API', async () => {
    const top = await desk.client.call('listFiles', { params: { id: 'acc-1' }, body: { path: '' } });
    expect(top).toMatchObject({ via: 'host', path: '' });
    expect(top.entries.map((e) => e.name)).toEqual(['workspace']);
    const ws = await desk.client.call('listFiles', { params: { id: 'acc-1' }, body: { path: 'workspace' } });
    expect(ws.entries.map((e) => [e.name, e.type])).toEqual([
      ['hello.txt', 'file'],
      ['sneaky', 'link'],
    ]);
    const file = await desk.client.download('acc-1', 'workspace/hello.txt');
    expect(file.name).toBe('hello.txt');
    expect(await file.blob.text()).toBe('hi from the agent\n');
    expect(await desk.client.upload('acc-1', 'brief.md', new TextEncoder().encode('# task'))).toBe('uploads/brief.md');
    expect(readFileSync(join(root, 'uploads', 'brief.md'), 'utf8')).toBe('# task');
  });

  it('refuses paths that escape, uploads that would replace, and a missing sandbox — nothing changed', async () => {
    for (const path of ['../../outside.txt', '/etc/passwd', 'workspace/sneaky', 'workspace/%2e%2e/x']) {
      const e = await desk.client.download('acc-1', path).catch((x: unknown) => x);
      expect(e, path).toBeInstanceOf(DeskError);
      expect((e as DeskError).status, path).toBe(path.includes('%2e') ? 404 : 422);
    }
    const again = await desk.client.upload('acc-1', 'brief.md', new TextEncoder().encode('other')).catch((x: unknown) => x);
    expect(again).toMatchObject({ status: 409, message: expect.stringMatching(/exists already/) });
    expect(readFileSync(join(root, 'uploads', 'brief.md'), 'utf8')).toBe('# task');
    const named = await desk.client.upload('acc-1', '../escape.txt', new TextEncoder().encode('x')).catch((x: unknown) => x);
    expect(named).toMatchObject({ status: 422 });
    const gone = await desk.client.call('listFiles', { params: { id: 'nope-1' }, body: { path: '' } }).catch((x: unknown) => x);
    expect(gone).toMatchObject({ status: 404 });
  });
});

describe('files through the cluster (exec in the container)', () => {
  it('lists, downloads (a folder as tar) and uploads with the same rules as on the host', async () => {
    // kwok runs exec commands on this machine: the container's /mnt/user-data is a folder here.
    const root = join(execDir, 'user-data');
    mkdirSync(join(root, 'outputs'), { recursive: true });
    writeFileSync(join(root, 'outputs', 'chart.png'), Buffer.from([137, 80, 78, 71, 0, 255]));
    symlinkSync('/etc', join(root, 'outputs', 'etc-link'));
    const files = new ClusterFiles(kc, namespace, 'sandbox-acc-1', root);
    const out = await files.list('outputs');
    expect(out).toMatchObject({ via: 'cluster', path: 'outputs' });
    expect(out.entries.map((e) => [e.name, e.type, e.type === 'file' ? e.size : '-'])).toEqual([
      ['chart.png', 'file', 6],
      ['etc-link', 'link', '-'],
    ]);
    const png = await files.download('outputs/chart.png');
    const bytes: Buffer[] = [];
    for await (const c of png.stream) bytes.push(c as Buffer);
    expect([...Buffer.concat(bytes)]).toEqual([137, 80, 78, 71, 0, 255]);
    const tar = await files.download('outputs');
    expect(tar).toMatchObject({ name: 'outputs.tar', contentType: 'application/x-tar' });
    // One exec: the kind line is cut off, what is left is the archive itself (links kept as links).
    const tarFile = join(mkdtempSync(join(tmpdir(), 'spd-tar-')), 'o.tar');
    const tarBytes: Buffer[] = [];
    for await (const c of tar.stream) tarBytes.push(c as Buffer);
    writeFileSync(tarFile, Buffer.concat(tarBytes));
    const names: string[] = [];
    await listTar({ file: tarFile, onReadEntry: (e) => names.push(`${e.path}:${e.type}`) });
    expect(names.sort()).toEqual(['outputs/:Directory', 'outputs/chart.png:File', 'outputs/etc-link:SymbolicLink']);
    await expect(files.list('outputs/etc-link')).rejects.toMatchObject({
      category: 'invalid',
      message: expect.stringMatching(/leads outside/),
    });
    await expect(files.list('missing')).rejects.toMatchObject({ category: 'not-found' });
    expect(await files.upload('in.txt', Readable.from([Buffer.from('typed in')]))).toBe('uploads/in.txt');
    expect(readFileSync(join(root, 'uploads', 'in.txt'), 'utf8')).toBe('typed in');
    await expect(files.upload('in.txt', Readable.from([Buffer.from('again')]))).rejects.toMatchObject({ category: 'conflict' });
    expect(readFileSync(join(root, 'uploads', 'in.txt'), 'utf8')).toBe('typed in');
  });
});
