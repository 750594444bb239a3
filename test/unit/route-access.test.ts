// Authorisation on the route that matched, for both servers: every protected route, reached by
// every spelling a router may fold onto it (percent-encoding, absolute-form targets, dot
// segments, case, doubled or trailing slashes), is refused without its key or token; public
// routes stay open; a loopback server without a key answers only Host headers that name it.
// Requests are written to the socket by hand, so no client normalises them first.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config/config.js';
import { DeskCore } from '../../app/core/desk-core.js';
import { deskOperations, deskStreams, fillPath, TOKEN_HEADER } from '../../app/desk/contract.js';
import { SandboxProvisioner } from '../../app/sandbox/provisioner.js';
import { type RunningDeskServer, startDeskServer } from '../../app/server/desk-api.js';
import { buildProvisionerApi } from '../../app/server/provisioner-api.js';
import { loopbackHostCheck } from '../../app/server/route-access.js';
import { listenProvisionerApi } from '../../app/server/serve.js';
import { unreachableKubeConfig } from '../support/kubeconfigs.js';

/** One raw HTTP/1.1 request; resolves with the status code. */
function rawRequest(port: number, method: string, target: string, headers: Record<string, string> = {}, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const head = { host: `127.0.0.1:${port}`, connection: 'close', ...headers };
    if (body !== undefined) Object.assign(head, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
    const lines = [`${method} ${target} HTTP/1.1`, ...Object.entries(head).map(([k, v]) => `${k}: ${v}`), '', body ?? ''];
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d) => {
      data += d;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (m) {
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`no status line for ${method} ${target}: ${JSON.stringify(data.slice(0, 200))}`)));
    socket.write(lines.join('\r\n'));
  });
}

/** Every spelling of one path that a router might treat as that path. */
function spellingsOf(path: string): string[] {
  const [first = '', ...rest] = path.slice(1).split('/');
  const hex = (c: string) => `%${c.charCodeAt(0).toString(16)}`;
  return [
    path,
    `/${hex(first[0] ?? 'a')}${first.slice(1)}/${rest.join('/')}`.replace(/\/$/, ''), // /%61pi/…
    `/${hex((first[0] ?? 'a').toUpperCase()).toUpperCase()}${first.slice(1)}/${rest.join('/')}`.replace(/\/$/, ''),
    path.replace(/[a-z]/g, hex), // every letter encoded
    `http://x${path}`, // absolute-form target
    `http://127.0.0.1${path}`,
    `/./${path.slice(1)}`,
    `/zzz/..${path}`,
    `/zzz/%2e%2e${path}`,
    `/${path.slice(1).toUpperCase()}`,
    `/${first.toUpperCase()}/${rest.join('/')}`.replace(/\/$/, ''),
    `/${path}`,
    `${path}/`,
    `${path}?x=1`,
    `${path};x`,
    `${path}%00`,
  ];
}

const unreachable = unreachableKubeConfig().makeApiClient(CoreV1Api);

const PROTECTED_API: [string, string, string?][] = [
  ['GET', '/api/capabilities'],
  ['GET', '/api/sandboxes'],
  ['POST', '/api/sandboxes', '{"sandbox_id":"bypass"}'],
  ['GET', '/api/sandboxes/bypass'],
  ['DELETE', '/api/sandboxes/bypass'],
  ['GET', '/api/no-such-route'],
  // Counts of what happened are not public either.
  ['GET', '/metrics'],
];

async function provisionerApi(apiKey: string | undefined): Promise<{ app: FastifyInstance; port: number; calls: string[] }> {
  const config = loadConfig({ K8S_NAMESPACE: 'auth-test', ...(apiKey ? { PROVISIONER_API_KEY: apiKey } : {}) });
  const provisioner = new SandboxProvisioner(unreachable, config, { server: 'https://127.0.0.1:1', requestTimeoutMs: 500 });
  const calls: string[] = [];
  for (const m of ['create', 'get', 'list', 'delete'] as const) {
    const real = provisioner[m].bind(provisioner) as (...a: unknown[]) => unknown;
    (provisioner as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => {
      calls.push(m);
      return real(...a);
    };
  }
  const app = await buildProvisionerApi({ provisioner, apiKey, capabilities: { user_id: true } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return { app, port: typeof address === 'object' && address ? address.port : 0, calls };
}

describe('provisioner API with an API key', () => {
  const key = 'k'.repeat(32);
  let api: Awaited<ReturnType<typeof provisionerApi>>;
  beforeAll(async () => {
    api = await provisionerApi(key);
  });
  afterAll(async () => {
    await api.app.close();
  });

  it.each(PROTECTED_API)('refuses %s %s in every spelling without the key, and reaches no operation', async (method, path, body) => {
    for (const target of spellingsOf(path)) {
      const status = await rawRequest(api.port, method, target, {}, body);
      expect({ target, status }).toEqual({ target, status: 401 });
      expect(await rawRequest(api.port, method, target, { 'x-api-key': 'wrong' }, body)).toBe(401);
    }
    expect(api.calls).toEqual([]);
  });

  it('keeps /health, /openapi.json and /docs open, and lets the key through however the path is spelt', async () => {
    expect(await rawRequest(api.port, 'GET', '/health')).toBe(200);
    expect(await rawRequest(api.port, 'GET', '/openapi.json')).toBe(200);
    expect([200, 302]).toContain(await rawRequest(api.port, 'GET', '/docs'));
    expect(await rawRequest(api.port, 'GET', '/%61pi/capabilities', { 'x-api-key': key })).toBe(200);
    expect(await rawRequest(api.port, 'GET', 'http://x/api/capabilities', { 'x-api-key': key })).toBe(200);
    expect(await rawRequest(api.port, 'GET', '/api/no-such-route', { 'x-api-key': key })).toBe(404);
  });

  it('answers any Host when a key guards it (DeerFlow names this host in many ways)', async () => {
    expect(await rawRequest(api.port, 'GET', '/api/capabilities', { host: 'provisioner.internal:8002', 'x-api-key': key })).toBe(200);
  });
});

describe('provisioner API on loopback without a key', () => {
  let api: Awaited<ReturnType<typeof provisionerApi>>;
  beforeAll(async () => {
    api = await provisionerApi(undefined);
  });
  afterAll(async () => {
    await api.app.close();
  });

  it('refuses a Host that does not name it (DNS rebinding), on every route, before any operation', async () => {
    for (const [method, path, body] of [...PROTECTED_API, ['GET', '/health'] as [string, string]]) {
      for (const host of ['evil.example', `evil.example:${api.port}`, '127.0.0.1:1', `127.0.0.2:${api.port}`, '']) {
        expect({ host, path, status: await rawRequest(api.port, method, path, { host }, body) }).toEqual({ host, path, status: 421 });
      }
    }
    expect(api.calls).toEqual([]);
  });

  it('answers its loopback names and host.docker.internal at its port', async () => {
    for (const host of [`127.0.0.1:${api.port}`, `localhost:${api.port}`, `LOCALHOST:${api.port}`, `host.docker.internal:${api.port}`])
      expect(await rawRequest(api.port, 'GET', '/api/capabilities', { host })).toBe(200);
  });
});

describe('loopbackHostCheck', () => {
  it('takes the names at the port only, and the bare name only for port 80', () => {
    const at = loopbackHostCheck(8002);
    expect(at('127.0.0.1:8002')).toBe(true);
    expect(at('[::1]:8002')).toBe(true);
    expect(at('127.0.0.1')).toBe(false);
    expect(at('localhost:8003')).toBe(false);
    expect(loopbackHostCheck(80)('localhost')).toBe(true);
  });
});

describe('desk API', () => {
  let desk: RunningDeskServer;
  let port: number;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spd-desk-auth-'));
    const core = new DeskCore({
      settingsFile: join(dir, 'settings.json'),
      env: { KUBECONFIG_PATH: join(dir, 'none'), HOME: dir },
      listen: listenProvisionerApi,
    });
    desk = await startDeskServer({ core });
    port = Number(new URL(desk.url).port);
  });
  afterAll(async () => {
    await desk.close();
  });

  const params = { id: 'job-1' };
  const routes: [string, string][] = [
    ...Object.values(deskOperations).map((op) => [op.method, fillPath(op.path, params)] as [string, string]),
    ['GET', deskStreams.events],
    ['GET', fillPath(deskStreams.logs, params)],
    ['GET', '/desk/no-such-route'],
  ];

  it('refuses every operation and stream, in every spelling, without the token', async () => {
    for (const [method, path] of routes) {
      for (const target of spellingsOf(path)) {
        const body = method === 'GET' || method === 'DELETE' ? undefined : '{}';
        expect({ method, target, status: await rawRequest(port, method, target, {}, body) }).toEqual({ method, target, status: 401 });
      }
    }
  });

  it('refuses a Host that does not name it, token or not', async () => {
    expect(await rawRequest(port, 'GET', '/desk/settings', { host: 'evil.example', [TOKEN_HEADER]: desk.token })).toBe(421);
  });

  it('lets the token through', async () => {
    expect(await rawRequest(port, 'GET', '/%64esk/settings', { [TOKEN_HEADER]: desk.token })).toBe(200);
  });
});

describe('desk API serving the UI', () => {
  // The UI's files are public: a catch-all route serves them, so a spelling that matches no
  // operation reaches that (a 404), never an operation; a path climbing out of the folder is refused.
  let desk: RunningDeskServer;
  let port: number;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spd-desk-ui-'));
    const ui = mkdtempSync(join(tmpdir(), 'spd-ui-'));
    writeFileSync(join(ui, 'index.html'), '<!doctype html><title>ui</title>');
    const core = new DeskCore({
      settingsFile: join(dir, 'settings.json'),
      env: { KUBECONFIG_PATH: join(dir, 'none'), HOME: dir },
      listen: listenProvisionerApi,
    });
    desk = await startDeskServer({ core, rendererDir: ui });
    port = Number(new URL(desk.url).port);
  });
  afterAll(async () => {
    await desk.close();
  });

  it('serves the page without the token, and no operation in any spelling', async () => {
    expect(await rawRequest(port, 'GET', '/')).toBe(200);
    for (const op of Object.values(deskOperations))
      for (const target of spellingsOf(fillPath(op.path, { id: 'job-1' }))) {
        const status = await rawRequest(port, op.method, target, {}, op.method === 'GET' || op.method === 'DELETE' ? undefined : '{}');
        expect({ target, refused: status === 400 || status === 401 || status === 404 }).toEqual({ target, refused: true });
      }
  });

  it('refuses paths that climb out of the UI folder without a 500', async () => {
    for (const target of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd'])
      expect([403, 404]).toContain(await rawRequest(port, 'GET', target));
  });
});
