// The renderer's desk client: requests built from the contract (path params filled and
// encoded, JSON body, the token), errors with every field problem by field; and, checked by the
// compiler (npm run typecheck), a missing required body or param does not compile.
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { CallArgs } from '../../app/desk/contract.js';
import { DeskClient, DeskError } from '../../renderer/src/api/client.js';

function recording(answer: { status: number; body: unknown }) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const fetchImpl = (async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    return new Response(JSON.stringify(answer.body), { status: answer.status });
  }) as typeof fetch;
  return { client: new DeskClient('http://127.0.0.1:1', 'tok', fetchImpl), calls };
}

describe('DeskClient', () => {
  it('fills and encodes path params, sends the body as JSON with the token', async () => {
    const { client, calls } = recording({ status: 200, body: { ok: true, sandbox_id: 'a b' } });
    await client.call('deleteSandbox', { params: { id: 'a b' } });
    await client.call('createSandbox', { body: { sandbox_id: 'x' } });
    expect(calls[0]?.url).toBe('http://127.0.0.1:1/desk/sandboxes/a%20b');
    expect(calls[0]?.init?.method).toBe('DELETE');
    expect(calls[1]?.init).toMatchObject({ method: 'POST', body: '{"sandbox_id":"x"}' });
    const headers = (calls[1]?.init?.headers ?? {}) as Record<string, string>;
    expect(headers['x-desk-token']).toBe('tok');
  });

  it('turns a 422 into field errors, every one of them', async () => {
    const { client } = recording({
      status: 422,
      body: {
        detail: [
          { loc: ['body', 'dataDir'], msg: 'dataDir: required', type: 'value_error' },
          { loc: ['body', 'nodePorts'], msg: 'nodePorts: bad', type: 'value_error' },
        ],
      },
    });
    const err = await client.call('createKindCluster', { body: { name: 'x', dataDir: '/d' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeskError);
    expect((err as DeskError).fields).toEqual({ dataDir: 'dataDir: required', nodePorts: 'nodePorts: bad' });
  });

  // Checked by the compiler (npm run typecheck, the first step of npm test), not at run time:
  // each @ts-expect-error fails the type-check if its call ever compiles.
  it('requires the inputs the contract requires (compile-time)', () => {
    // No input needed: calling with none compiles.
    expectTypeOf<[]>().toExtend<CallArgs<'listSandboxes'>>();
    const { client } = recording({ status: 200, body: {} });
    const typeChecks = () => {
      // @ts-expect-error: createSandbox needs a body with sandbox_id
      void client.call('createSandbox');
      // @ts-expect-error: sandbox_id is required in the body
      void client.call('createSandbox', { body: {} });
      // @ts-expect-error: deleteSandbox needs its id
      void client.call('deleteSandbox', {});
      void client.call('saveSettings', { body: {} }); // every setting is optional
    };
    void typeChecks;
  });
});
