// The container kubeconfig for real: rewritten to a second name of the test API server (as
// host.docker.internal is for a kind cluster), it connects with TLS verification on.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, VersionApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { containerKubeconfig } from '../../app/kube/container-kubeconfig.js';
import { clusterInfo, testKubeConfig } from './helpers.js';

describe('container kubeconfig against the real API server', () => {
  it('connects through the rewritten name with TLS verification on', async () => {
    const out = containerKubeconfig(testKubeConfig(), { host: 'localhost' });
    const kc = new KubeConfig();
    kc.loadFromString(out.yaml);
    expect(kc.getCurrentCluster()).toMatchObject({ server: out.apiServer, tlsServerName: '127.0.0.1', skipTLSVerify: false });
    expect((await kc.makeApiClient(VersionApi).getCode()).gitVersion).toMatch(/^v1\./);
  });

  it('the CLI writes it with mode 600, never over an existing file, and prints K8S_API_SERVER', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'spd-ckc-')), 'kubeconfig');
    const run = () =>
      spawnSync(
        process.execPath,
        ['--import', 'tsx', 'app/cli/main.ts', 'kubeconfig', '--for-containers', '--host', 'localhost', '-o', file],
        {
          env: { ...process.env, KUBECONFIG_PATH: clusterInfo().kubeconfig },
          encoding: 'utf8',
        },
      );
    const first = run();
    expect(first.status).toBe(0);
    expect(first.stderr).toMatch(/K8S_API_SERVER=https:\/\/localhost:\d+/);
    expect(first.stderr).not.toMatch(/BEGIN|client-key/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = run();
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/exists; not overwriting/);
  });
});
