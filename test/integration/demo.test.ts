// `npm run demo` (the README's way to try the product with no cluster) on the running test
// control plane: it serves the provisioner API and the UI, makes the three sample sandboxes with
// logs, and on Ctrl-C stops everything it started (a served process once outlived it) while
// leaving a control plane it reused running.
import { spawn } from 'node:child_process';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../cluster/control-plane.js';
import { testKubeConfig, uniqueName, waitUntil } from './helpers.js';

const core = testKubeConfig().makeApiClient(CoreV1Api);
const namespace = uniqueName('demo');
afterAll(async () => {
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

describe('npm run demo', () => {
  it('serves the sample sandboxes, and Ctrl-C stops all it started', async () => {
    const port = await freePort();
    const demo = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
      env: { ...process.env, K8S_NAMESPACE: namespace, PROVISIONER_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    demo.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    demo.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const exited = new Promise<number | null>((r) => demo.once('exit', r));
    await waitUntil('the demo to say it is ready', async () => /\[demo\] ready:/.test(output) || undefined, 90_000, 200).catch((e) => {
      throw new Error(`${(e as Error).message}\n${output}`);
    });
    expect(output).toMatch(/\[demo\] using the running simulated cluster/);
    expect(output).toMatch(/^UI: http:\/\/127\.0\.0\.1:\d+\/\?token=\S+$/m);

    const list = (await (await fetch(`http://127.0.0.1:${port}/api/sandboxes`)).json()) as { sandboxes: { sandbox_id: string }[] };
    expect(list.sandboxes.map((s) => s.sandbox_id).sort()).toEqual(['demo-1', 'demo-2', 'demo-3']);

    demo.kill('SIGINT');
    expect(await exited).toBe(0);
    await waitUntil('the provisioner API to be gone', async () =>
      fetch(`http://127.0.0.1:${port}/health`).then(
        () => undefined,
        () => true,
      ),
    );
    // The reused control plane is still there for the other tests.
    expect((await core.listNamespacedPod({ namespace })).items.length).toBeGreaterThan(0);
  });
});
