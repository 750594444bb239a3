import { describe, expect, it } from 'vitest';
import { probeContext, summarizeContexts } from '../../app/cluster/contexts.js';
import { testKubeConfig } from './helpers.js';

describe('cluster contexts against the real API server', () => {
  it('reports the test cluster as ready, with its version', async () => {
    const kc = testKubeConfig();
    const [ctx] = summarizeContexts(kc);
    expect(ctx).toMatchObject({ name: 'spd-test', current: true, loopback: true });
    expect(await probeContext(kc, 'spd-test')).toEqual({ state: 'ready', version: 'v1.36.3' });
  });
});
