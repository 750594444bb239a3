import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { classifyContext, probeContext, summarizeContexts } from '../../app/cluster/contexts.js';
import { unreachableKubeConfig } from '../support/kubeconfigs.js';

describe('classifyContext', () => {
  it.each([
    ['kind-deer-flow', 'https://127.0.0.1:40123', 'kind', 'deer-flow'],
    ['k3d-dev', 'https://0.0.0.0:6550', 'k3d', 'dev'],
    ['minikube', 'https://192.168.49.2:8443', 'minikube', 'minikube'],
    ['dev', 'https://192.168.49.2:8443', 'minikube', 'dev'],
    ['docker-desktop', 'https://kubernetes.docker.internal:6443', 'docker-desktop', 'docker-desktop'],
    ['orbstack', 'https://127.0.0.1:26443', 'orbstack', 'orbstack'],
    ['default', 'https://127.0.0.1:6443', 'k3s', 'default'],
    ['prod-eu', 'https://10.1.2.3:443', 'unknown', 'prod-eu'],
  ])('%s at %s is %s', (name, server, kind, clusterName) => {
    expect(classifyContext(name, server)).toEqual({ kind, clusterName });
  });
});

describe('summarizeContexts', () => {
  it('lists every context with the current one marked, and no credentials', () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        { name: 'kind-a', server: 'https://127.0.0.1:1234' },
        { name: 'remote', server: 'https://10.0.0.1:6443' },
      ],
      users: [{ name: 'u', token: 'secret-token' }],
      contexts: [
        { name: 'kind-a', cluster: 'kind-a', user: 'u' },
        { name: 'remote', cluster: 'remote', user: 'u' },
      ],
      currentContext: 'remote',
    });
    const out = summarizeContexts(kc);
    expect(out).toEqual([
      { name: 'kind-a', kind: 'kind', clusterName: 'a', server: 'https://127.0.0.1:1234', current: false, loopback: true },
      { name: 'remote', kind: 'unknown', clusterName: 'remote', server: 'https://10.0.0.1:6443', current: true, loopback: false },
    ]);
    expect(JSON.stringify(out)).not.toContain('secret-token');
  });
});

describe('probeContext', () => {
  it('says unreachable, naming the server, for one that is not there', async () => {
    const kc = unreachableKubeConfig('gone');
    expect(await probeContext(kc, 'gone', 2000)).toMatchObject({ state: 'unreachable', message: expect.stringContaining('127.0.0.1:1') });
  });
});
