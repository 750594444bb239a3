// Which sandbox Pods the migration guard counts (app/migration/guard.ts): only those whose
// volumes can reach the data; and how its verdict reads.
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config/config.js';
import { checkGuard, dataUseOf } from '../../app/migration/guard.js';
import { buildPod } from '../../app/sandbox/specs.js';

const podWith = (volumes: NonNullable<V1Pod['spec']>['volumes']): V1Pod => ({ spec: { containers: [], volumes } });
const local = { kind: 'local', baseDir: '/home/me/deer-flow/backend/.deer-flow' } as const;

describe('dataUseOf', () => {
  it('a local folder: an overlapping hostPath counts, with the path', () => {
    expect(dataUseOf(podWith([{ name: 'u', hostPath: { path: '/home/me/deer-flow/backend/.deer-flow/users/u/threads/t' } }]), local)).toBe(
      'mounts /home/me/deer-flow/backend/.deer-flow/users/u/threads/t',
    );
    expect(dataUseOf(podWith([{ name: 'u', hostPath: { path: '/home/me' } }]), local)).toBe('mounts /home/me');
  });

  it('a local folder: another hostPath or any claim may still be it (a kind node, a claim mounted here)', () => {
    expect(dataUseOf(podWith([{ name: 'u', hostPath: { path: '/mnt/deer-flow/users' } }]), local)).toMatch(
      /may be this folder on the cluster's node/,
    );
    expect(dataUseOf(podWith([{ name: 'u', persistentVolumeClaim: { claimName: 'data' } }]), local)).toMatch(/claim data, which may be/);
  });

  it('names the volume that certainly reaches the data before one that only may', () => {
    const pod = podWith([
      { name: 'skills', hostPath: { path: '/opt/skills' } },
      { name: 'data', hostPath: { path: '/home/me/deer-flow/backend/.deer-flow/users/u' } },
    ]);
    expect(dataUseOf(pod, local)).toBe('mounts /home/me/deer-flow/backend/.deer-flow/users/u');
  });

  it('a Pod with only emptyDir, configMap or secret volumes cannot touch the data', () => {
    const pod = podWith([
      { name: 'e', emptyDir: {} },
      { name: 'c', configMap: { name: 'x' } },
      { name: 's', secret: { secretName: 'y' } },
    ]);
    expect(dataUseOf(pod, local)).toBeUndefined();
    expect(dataUseOf({ spec: { containers: [] } }, local)).toBeUndefined();
  });

  it('a claim: only Pods mounting that claim count', () => {
    const target = { kind: 'pvc', claim: 'deer-flow-data' } as const;
    expect(dataUseOf(podWith([{ name: 'd', persistentVolumeClaim: { claimName: 'deer-flow-data' } }]), target)).toBe(
      'mounts claim deer-flow-data',
    );
    expect(dataUseOf(podWith([{ name: 'd', persistentVolumeClaim: { claimName: 'other' } }]), target)).toBeUndefined();
    expect(dataUseOf(podWith([{ name: 'h', hostPath: { path: '/data' } }]), target)).toBeUndefined();
  });

  it("the provisioner's own sandbox Pods in hostPath mode count for their base folder, and not in claim mode for another claim", () => {
    const hostPod = buildPod(loadConfig({ DEER_FLOW_HOST_BASE_DIR: '/srv/deer-flow' }), { sandboxId: 's', threadId: 't', userId: 'u' });
    expect(dataUseOf(hostPod, { kind: 'local', baseDir: '/srv/deer-flow' })).toMatch(/^mounts \/srv\/deer-flow/);
    const claimPod = buildPod(loadConfig({ USERDATA_PVC_NAME: 'mine' }), { sandboxId: 's', threadId: 't', userId: 'u' });
    expect(dataUseOf(claimPod, { kind: 'pvc', claim: 'mine' })).toBe('mounts claim mine');
    expect(dataUseOf(claimPod, { kind: 'pvc', claim: 'theirs' })).toBeUndefined();
  });
});

describe('checkGuard', () => {
  it('clear passes with its note; busy and unreachable refuse unless forced, naming what to do in CLI and app terms', async () => {
    expect(await checkGuard({ force: false, guard: async () => ({ state: 'clear', note: 'no kubeconfig' }) })).toEqual({
      ok: true,
      note: 'no kubeconfig',
    });
    const busy = await checkGuard({ force: false, guard: async () => ({ state: 'busy', pods: ['sandbox-a (mounts /x)'] }) });
    expect(busy).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/sandbox-a \(mounts \/x\).*--force; in the app, "Migrate anyway"/),
    });
    expect(await checkGuard({ force: true, guard: async () => ({ state: 'unreachable', message: 'down.' }) })).toMatchObject({
      ok: true,
      note: expect.stringMatching(/without checking/),
    });
  });
});
