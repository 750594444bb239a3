// Whether the sandbox image is on a node, read from the nodes' status against the real API
// server. The node is made for the test (tainted so nothing is scheduled on it) and its status
// lists images the way a kubelet reports them (full names, with and without digest).
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imagePresence } from '../../app/cluster/images.js';
import { testKubeConfig, uniqueName } from './helpers.js';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const node = uniqueName('img-node');

beforeAll(async () => {
  await core.createNode({
    body: { metadata: { name: node }, spec: { taints: [{ key: 'spd-test/images', effect: 'NoSchedule' }] } },
  });
  // kwok updates the new node's status too: read-modify-write until no conflict.
  for (let attempt = 0; ; attempt++) {
    const current = await core.readNodeStatus({ name: node });
    current.status = {
      ...current.status,
      images: [
        { names: ['docker.io/library/sandbox@sha256:0f1e2d', 'docker.io/library/sandbox:1.2'], sizeBytes: 1000 },
        { names: ['registry.example.com/tools/helper:latest'], sizeBytes: 10 },
      ],
    };
    try {
      await core.replaceNodeStatus({ name: node, body: current });
      break;
    } catch (e) {
      if ((e as { code?: number }).code !== 409 || attempt > 20) throw e;
    }
  }
});

afterAll(async () => {
  await core.deleteNode({ name: node }).catch(() => undefined);
});

describe('imagePresence', () => {
  it('finds an image under the short name a developer types', async () => {
    const r = await imagePresence(kc, 'sandbox:1.2');
    expect(r.nodesWithImage).toEqual([node]);
    expect(r.nodeCount).toBeGreaterThanOrEqual(2);
    expect((await imagePresence(kc, 'registry.example.com/tools/helper')).nodesWithImage).toEqual([node]);
  });

  it('says no node has an image that is not there (another tag is another image)', async () => {
    expect((await imagePresence(kc, 'sandbox:1.3')).nodesWithImage).toEqual([]);
  });
});
