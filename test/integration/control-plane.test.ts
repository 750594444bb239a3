// The evidence the rest of the project relies on: against the real API server, a Pod runs
// and becomes Ready (kwok), its logs can be read and followed, exec returns output and exit
// code, and invalid objects are rejected with 422 by the server's own validation.
import { appendFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { ApiException, CoreV1Api, Log, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execInPod } from '../../app/kube/exec.js';
import { createTestNamespace, criLine, testKubeConfig, waitUntil, wirePodToFolder } from './helpers.js';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
let ns: { name: string; remove: () => Promise<void> };

const pod = (name: string): V1Pod => ({
  metadata: { name },
  spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] },
});

beforeAll(async () => {
  ns = await createTestNamespace(kc, 'evidence');
});
afterAll(async () => ns?.remove());

describe('test control plane', () => {
  it('runs a Pod created through @kubernetes/client-node until it is Running and Ready', async () => {
    await core.createNamespacedPod({ namespace: ns.name, body: pod('runs') });
    const ready = await waitUntil('Pod Running and Ready', async () => {
      const p = await core.readNamespacedPod({ namespace: ns.name, name: 'runs' });
      const isReady = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      return p.status?.phase === 'Running' && isReady ? p : undefined;
    });
    expect(ready.spec?.nodeName).toBe('spd-node');
    expect(ready.status?.podIP).toMatch(/^10\.244\./);
  });

  it('reads a Pod log and follows lines written after the request', async () => {
    const wired = await wirePodToFolder(kc, ns.name, 'logs', ['first line', 'second line']);
    await core.createNamespacedPod({ namespace: ns.name, body: pod('logs') });
    await waitUntil(
      'Pod Running',
      async () => (await core.readNamespacedPod({ namespace: ns.name, name: 'logs' })).status?.phase === 'Running',
    );

    const text = await core.readNamespacedPodLog({ namespace: ns.name, name: 'logs' });
    expect(text).toBe('first line\nsecond line\n');

    const sink = new PassThrough();
    let received = '';
    sink.on('data', (c: Buffer) => {
      received += c.toString();
    });
    const request = await new Log(kc).log(ns.name, 'logs', 'main', sink, { follow: true });
    try {
      await waitUntil('existing lines', async () => received.includes('second line'));
      appendFileSync(wired.logsFile, criLine('written later'));
      await waitUntil('followed line', async () => received.includes('written later'), 15_000);
    } finally {
      request.abort();
    }
    expect(received).toBe('first line\nsecond line\nwritten later\n');
  });

  it('execs a command and returns its stdout, stderr and exit code', async () => {
    const wired = await wirePodToFolder(kc, ns.name, 'execs');
    await core.createNamespacedPod({ namespace: ns.name, body: pod('execs') });
    await waitUntil(
      'Pod Running',
      async () => (await core.readNamespacedPod({ namespace: ns.name, name: 'execs' })).status?.phase === 'Running',
    );

    const ok = await execInPod(kc, ns.name, 'execs', ['sh', '-c', 'echo out; echo err >&2; pwd']);
    expect(ok).toEqual({ stdout: `out\n${wired.workDir}\n`, stderr: 'err\n', exitCode: 0 });

    const failed = await execInPod(kc, ns.name, 'execs', ['sh', '-c', 'echo partial; exit 3']);
    expect(failed.stdout).toBe('partial\n');
    expect(failed.exitCode).toBe(3);

    // Standard input reaches the command (read by length: kwok never signals end-of-input).
    const piped = await execInPod(kc, ns.name, 'execs', ['sh', '-c', 'head -c 12 | tr a-z A-Z'], { stdin: 'twelve bytes' });
    expect(piped.stdout).toBe('TWELVE BYTES');
  });

  it('rejects an invalid object with 422 from the API server', async () => {
    const bad: V1Pod = {
      metadata: { name: 'invalid' },
      spec: {
        containers: [{ name: 'main', image: 'busybox', volumeMounts: [{ name: 'Bad_Volume', mountPath: '/x' }] }],
        volumes: [{ name: 'Bad_Volume', emptyDir: {} }],
      },
    };
    const error = await core.createNamespacedPod({ namespace: ns.name, body: bad }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiException);
    expect((error as ApiException<unknown>).code).toBe(422);
    expect(String((error as ApiException<unknown>).body)).toContain('Bad_Volume');
    const list = await core.listNamespacedPod({ namespace: ns.name, fieldSelector: 'metadata.name=invalid' });
    expect(list.items).toHaveLength(0);
  });
});
