import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { startupStory } from '../../app/desk/startup-story.js';

const t = (s: number) => new Date(Date.UTC(2026, 11, 2, 10, 0, s));
const pod = (status: V1Pod['status']): V1Pod => ({
  metadata: { name: 'sandbox-a', creationTimestamp: t(0) },
  spec: { nodeName: 'node-1', containers: [{ name: 'sandbox', image: 'deer-flow/sandbox:1' }] },
  status,
});
const event = (reason: string, at: number, message = ''): CoreV1Event =>
  ({ reason, message, lastTimestamp: t(at), involvedObject: {}, metadata: {} }) as CoreV1Event;

describe('startupStory', () => {
  it('every step with its time and how long it took; the slowest named; a pull that was slow hints at loading', () => {
    const story = startupStory(
      pod({
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: t(1) },
          { type: 'Ready', status: 'True', lastTransitionTime: t(14) },
        ],
        containerStatuses: [
          { name: 'sandbox', image: '', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: t(13) } } },
        ],
      }),
      [event('Pulling', 1), event('Pulled', 12, 'Successfully pulled image "deer-flow/sandbox:1" in 10.9s')],
    );
    expect(story.steps.map((s) => [s.step, s.tookMs])).toEqual([
      ['created', undefined],
      ['scheduled', 1000],
      ['image', 11000],
      ['started', 1000],
      ['ready', 1000],
    ]);
    expect(story.steps[1]?.detail).toBe('on node-1');
    expect(story.slowest).toBe('image');
    expect(story.imageHint?.reason).toMatch(/Pulling deer-flow\/sandbox:1 was the slow part/);
  });

  it('an image that is not on the node: the step waits, with the load hint', () => {
    const story = startupStory(
      pod({
        conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: t(1) }],
        containerStatuses: [
          {
            name: 'sandbox',
            image: '',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'ErrImageNeverPull', message: 'image not present with pull policy of Never' } },
          },
        ],
      }),
      [],
    );
    expect(story.steps.map((s) => s.at === undefined)).toEqual([false, false, true, true, true]);
    expect(story.steps[2]?.detail).toBe('ErrImageNeverPull: image not present with pull policy of Never');
    expect(story.imageHint).toEqual({
      image: 'deer-flow/sandbox:1',
      reason: 'The image deer-flow/sandbox:1 is not on the node (ErrImageNeverPull): load it into the cluster and the sandbox starts.',
    });
  });

  it('an image already present is not a hint, and quick starts name no slowest step', () => {
    const story = startupStory(
      pod({
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: t(0) },
          { type: 'Ready', status: 'True', lastTransitionTime: t(1) },
        ],
        containerStatuses: [
          { name: 'sandbox', image: '', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: t(1) } } },
        ],
      }),
      [event('Pulled', 0, 'Container image "deer-flow/sandbox:1" already present on machine')],
    );
    expect(story.slowest).toBeUndefined();
    expect(story.imageHint).toBeUndefined();
    expect(startupStory(undefined, []).steps.every((s) => s.at === undefined)).toBe(true);
  });
});
