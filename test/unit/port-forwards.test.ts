import { connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxForwards } from '../../app/desk/port-forwards.js';

/** Stands in for the API server's forward stream: pipes to a local echo server (the real one is in test/integration/sandbox-access.test.ts). */
async function echoTarget() {
  const server = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { server, port };
}

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

function roundTrip(url: string, text: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s: Socket = connect(Number(port), hostname, () => s.write(text));
    s.on('data', (d) => {
      resolve(d.toString());
      s.end();
    });
    s.on('error', reject);
    s.on('close', () => reject(new Error('closed without an answer')));
  });
}

describe('SandboxForwards', () => {
  it('one loopback address per sandbox, reused; each connection joined to the sandbox', async () => {
    const target = await echoTarget();
    closers.push(() => target.server.close());
    const joined: string[] = [];
    const forwards = new SandboxForwards(async (id, socket) => {
      joined.push(id);
      const upstream = connect(target.port, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
    });
    closers.push(() => forwards.closeAll());
    const [a, again] = await Promise.all([forwards.open('sb-1'), forwards.open('sb-1')]);
    expect(a).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(again).toBe(a);
    expect(await roundTrip(a, 'ping')).toBe('ping');
    expect(joined).toEqual(['sb-1']);
    expect(forwards.addresses()).toEqual([{ sandbox_id: 'sb-1', sandbox_url: a }]);
    forwards.close('sb-1');
    expect(forwards.addresses()).toEqual([]);
    await expect(roundTrip(a, 'x')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('a connection that cannot be joined is closed and said in the log, the address stays', async () => {
    const lines: string[] = [];
    const forwards = new SandboxForwards(
      async () => {
        throw new Error('pod not running');
      },
      (l) => lines.push(l),
    );
    closers.push(() => forwards.closeAll());
    const url = await forwards.open('sb-2');
    await expect(roundTrip(url, 'x'))
      .rejects.toBeDefined()
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    expect(lines).toEqual(['port-forward to sandbox sb-2 failed: pod not running']);
    expect(forwards.addresses()).toHaveLength(1);
  });
});
