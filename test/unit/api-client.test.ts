// The agent pool behind kept-alive API clients: one agent per TLS identity, the kubeconfig's
// TLS options kept exactly, bounded, and anything that is not a plain https.Agent passed through.
import { generateKeyPairSync } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { describe, expect, it } from 'vitest';
import { AgentPool, MAX_SOCKETS } from '../../app/kube/api-client.js';

const fresh = (o: Record<string, unknown>) => new HttpsAgent(o);

describe('AgentPool', () => {
  it('hands out one kept-alive agent per identity, with the same TLS options', () => {
    const pool = new AgentPool();
    const opts = { ca: Buffer.from('CA'), cert: Buffer.from('C'), key: Buffer.from('K'), servername: '127.0.0.1' };
    const a = pool.agentFor(fresh(opts)) as HttpsAgent & { options: Record<string, unknown> };
    const b = pool.agentFor(fresh({ ...opts }));
    expect(b).toBe(a);
    expect(pool.created).toBe(1);
    expect(a.options).toMatchObject({ ...opts, keepAlive: true, maxSockets: MAX_SOCKETS });
    expect(a.options.rejectUnauthorized).toBeUndefined(); // verification left as the kubeconfig says
  });

  it('parses the TLS material once for all its connections; material that does not parse is left to the connection to report', () => {
    const pool = new AgentPool();
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    const parsed = pool.agentFor(fresh({ key })) as HttpsAgent & { options: Record<string, unknown> };
    expect(parsed.options.secureContext).toBeDefined();
    const unparsable = pool.agentFor(fresh({ key: Buffer.from('not a key') })) as HttpsAgent & { options: Record<string, unknown> };
    expect(unparsable.options.secureContext).toBeUndefined();
    expect(unparsable.options.key).toEqual(Buffer.from('not a key'));
  });

  it('keeps every idle socket of a burst for the next one', () => {
    const agent = new AgentPool().agentFor(fresh({})) as HttpsAgent & { options: Record<string, unknown> };
    expect(agent.options.maxFreeSockets).toBe(MAX_SOCKETS);
  });

  it('a different credential, trust or server name is another agent', () => {
    const pool = new AgentPool();
    const base = { ca: Buffer.from('CA'), cert: Buffer.from('C'), key: Buffer.from('K') };
    const a = pool.agentFor(fresh(base));
    expect(pool.agentFor(fresh({ ...base, cert: Buffer.from('C2') }))).not.toBe(a);
    expect(pool.agentFor(fresh({ ...base, servername: 'kind-control-plane' }))).not.toBe(a);
    expect(pool.agentFor(fresh({ ...base, rejectUnauthorized: false }))).not.toBe(a);
    expect(pool.created).toBe(4);
  });

  it('keeps at most four identities, destroying the oldest', () => {
    const pool = new AgentPool();
    const first = pool.agentFor(fresh({ cert: Buffer.from('0') })) as HttpsAgent;
    let destroyed = false;
    first.destroy = () => {
      destroyed = true;
    };
    for (let i = 1; i <= 4; i++) pool.agentFor(fresh({ cert: Buffer.from(String(i)) }));
    expect(destroyed).toBe(true);
    expect(pool.agentFor(fresh({ cert: Buffer.from('0') }))).not.toBe(first);
  });

  it('passes plain http and proxy agents through untouched', () => {
    const pool = new AgentPool();
    const http = new HttpAgent();
    class ProxyAgent extends HttpsAgent {}
    const proxy = new ProxyAgent();
    expect(pool.agentFor(http)).toBe(http);
    expect(pool.agentFor(proxy)).toBe(proxy);
    expect(pool.created).toBe(0);
  });
});
