import { describe, expect, it } from 'vitest';
import { createBlocker, dockerBlocker, toolStatusText } from '../../app/cluster/tool-status.js';

describe('dockerBlocker (shown above "Create kind cluster")', () => {
  it('names a missing docker or its engine problem, and nothing when docker works', () => {
    expect(dockerBlocker([{ tool: 'docker', installed: false, hint: 'install Docker' }])).toBe(
      'kind needs docker, which is not installed: install Docker',
    );
    expect(dockerBlocker([{ tool: 'docker', installed: true, version: '29.9.3', problem: 'start it' }])).toBe('start it');
    expect(dockerBlocker([{ tool: 'docker', installed: true, version: '29.9.3' }])).toBeUndefined();
    expect(dockerBlocker(undefined)).toBeUndefined();
  });
});

describe('createBlocker (why Create is disabled, beside it)', () => {
  const docker = { tool: 'docker' as const, installed: true as const, version: '29.9.3' };
  it('the chosen tool missing or failing, then for kind the docker it needs', () => {
    expect(createBlocker([{ tool: 'kind', installed: false, hint: 'go install sigs.k8s.io/kind@latest' }, docker], 'kind')).toBe(
      'kind is not installed: go install sigs.k8s.io/kind@latest',
    );
    expect(createBlocker([{ tool: 'minikube', installed: true, error: 'exit 1' }], 'minikube')).toBe('minikube does not run: exit 1');
    expect(
      createBlocker(
        [
          { tool: 'kind', installed: true, version: 'v0.33.0' },
          { ...docker, problem: 'the engine is not running' },
        ],
        'kind',
      ),
    ).toBe('the engine is not running');
    expect(createBlocker([{ tool: 'kind', installed: true, version: 'v0.33.0' }, docker], 'kind')).toBeUndefined();
    // minikube brings its own driver choice: docker is not required for it here.
    expect(
      createBlocker(
        [
          { tool: 'minikube', installed: true, version: 'v1.37.0' },
          { ...docker, problem: 'x' },
        ],
        'minikube',
      ),
    ).toBeUndefined();
  });
  it('one wording for the terminal and the screen', () => {
    expect(toolStatusText({ tool: 'kind', installed: false, hint: 'install it' })).toBe('not installed — install it');
  });
});
