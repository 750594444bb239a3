import type { CoreV1Event } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config/config.js';
import { toSandboxDetail } from '../../app/desk/sandbox-detail.js';
import { validateCreateRequest } from '../../app/sandbox/provisioner.js';
import { buildPod, buildService } from '../../app/sandbox/specs.js';

const ids = { sandboxId: 'abc', threadId: 't1', userId: 'alice' };
const event = (reason: string, at: string, type = 'Normal'): CoreV1Event =>
  ({ reason, type, message: `${reason}!`, count: 2, lastTimestamp: new Date(at), involvedObject: {}, metadata: {} }) as CoreV1Event;

describe('toSandboxDetail', () => {
  it('shows PVC mounts with their subPath, resources, a waiting container, and events in time order', () => {
    const config = loadConfig({ USERDATA_PVC_NAME: 'data', SKILLS_PVC_NAME: 'skills', SKILLS_PVC_SUBPATH_TEMPLATE: 'skills/{user_id}' });
    const pod = buildPod(config, ids);
    pod.status = {
      phase: 'Pending',
      containerStatuses: [
        { name: 'sandbox', image: 'i', imageID: '', ready: false, restartCount: 3, state: { waiting: { reason: 'ImagePullBackOff' } } },
      ],
    };
    const d = toSandboxDetail(config, 'abc', pod, buildService(config, 'abc'), {
      pod: [event('Pulling', '2026-11-28T10:00:02Z'), event('Scheduled', '2026-11-28T10:00:01Z')],
      service: [event('Created', '2026-11-28T10:00:03Z', 'Warning')],
    });
    expect(d.mounts).toEqual([
      { name: 'skills', mountPath: '/mnt/skills', readOnly: true, source: { claim: 'skills', subPath: 'skills/alice' } },
      {
        name: 'user-data',
        mountPath: '/mnt/user-data',
        readOnly: false,
        source: { claim: 'data', subPath: 'deer-flow/users/alice/threads/t1/user-data' },
      },
    ]);
    expect(d.resources).toEqual({
      requests: { cpu: '100m', memory: '256Mi', 'ephemeral-storage': '500Mi' },
      limits: { cpu: '1000m', memory: '1Gi', 'ephemeral-storage': '500Mi' },
    });
    expect(d.containerState).toEqual({ ready: false, restartCount: 3, state: 'waiting', reason: 'ImagePullBackOff' });
    expect(d.sandbox.reason).toMatch(/^ImagePullBackOff \(the node cannot get the sandbox image/);
    expect(d.events.map((e) => `${e.object}:${e.reason}`)).toEqual(['Pod:Scheduled', 'Pod:Pulling', 'Service:Created']);
    expect(d.events[2]).toMatchObject({ type: 'Warning', count: 2, last: '2026-11-28T10:00:03.000Z' });
  });

  it('names the mounts that came with the request and the Lark containers beside the sandbox', () => {
    const config = loadConfig({ DEER_FLOW_HOST_BASE_DIR: '/df', LARK_CLI_BROKER_IMAGE: 'lark/broker:1' });
    const { ids: i, extras } = validateCreateRequest(
      {
        sandbox_id: 'abc',
        user_id: 'alice',
        provision_lark_cli_broker: true,
        extra_mounts: [
          { host_path: '/df/users/alice/acp', container_path: '/mnt/acp-workspace', read_only: true },
          { host_path: '/df/users/alice/lark/data', container_path: '/mnt/integrations/lark-cli/data' },
        ],
      },
      config,
    );
    const d = toSandboxDetail(config, 'abc', buildPod(config, i, extras), undefined, { pod: [], service: [] });
    expect(d.requestMounts).toEqual(['/mnt/acp-workspace']);
    expect(d.companions).toEqual([
      { name: 'lark-cli-shim-init', role: 'init', image: 'lark/broker:1' },
      { name: 'lark-cli-broker', role: 'sidecar', image: 'lark/broker:1' },
    ]);
    expect(d.mounts.map((m) => m.mountPath)).toContain('/mnt/integrations/lark-cli/runtime');
  });

  it('a Service without its Pod: no container details, status NotFound', () => {
    const config = loadConfig({});
    const d = toSandboxDetail(config, 'abc', undefined, buildService(config, 'abc'), { pod: [], service: [] });
    expect(d.sandbox.status).toBe('NotFound');
    expect(d.mounts).toEqual([]);
    expect(d.containerState).toBeUndefined();
    expect(d.image).toBeUndefined();
  });
});
