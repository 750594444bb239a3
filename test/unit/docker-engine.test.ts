// Docker's engine problems, recognised in what the real docker and kind CLIs print (captured by
// test/fixtures/tools/captures/capture.sh from docker CLI 29.9.3 and 28.5.2, and kind v0.33.0,
// on a machine with no engine; see the README there).
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dockerEngineProblem } from '../../app/cluster/docker-engine.js';
import { toolStatusText } from '../../app/cluster/tool-status.js';
import { detectTool, ToolFailedError } from '../../app/cluster/tools.js';
import { hermeticPath } from '../support/hermetic-path.js';

const captures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'tools', 'captures');

/** A capture's output and exit code (its last line is "exit N"). */
function capture(name: string): { output: string; exitCode: number } {
  const lines = readFileSync(join(captures, name), 'utf8').trimEnd().split('\n');
  const exit = /^exit (\d+)$/.exec(lines.at(-1) ?? '');
  if (!exit) throw new Error(`${name} does not end with its exit code`);
  return { output: lines.slice(0, -1).join('\n'), exitCode: Number(exit[1]) };
}

describe('dockerEngineProblem', () => {
  it.each([
    ['docker-29-no-engine-ps.txt', 'unix:///var/run/docker.sock'],
    ['docker-28-no-engine-ps.txt', 'unix:///var/run/docker.sock'],
    ['kind-docker-29-no-engine-get-clusters.txt', 'unix:///var/run/docker.sock'],
    ['kind-docker-29-no-engine-create.txt', 'unix:///var/run/docker.sock'],
  ])('%s: the engine is not running', (file, endpoint) => {
    const problem = dockerEngineProblem(capture(file).output);
    expect(problem).toMatchObject({ kind: 'not-running', endpoint });
    expect(problem?.advice).toBe(
      `Docker is installed but its engine is not running (nothing answers at ${endpoint}). ` +
        'Start Docker Desktop, or on Linux the docker service (`sudo systemctl start docker`), then try again.',
    );
  });

  it.each(['docker-29-permission-denied-ps.txt', 'docker-28-permission-denied-ps.txt'])('%s: the socket is not the user’s', (file) => {
    const problem = dockerEngineProblem(capture(file).output);
    expect(problem).toMatchObject({ kind: 'no-permission', endpoint: 'unix:///tmp/spd-capture/docker.sock' });
    expect(problem?.advice).toContain('sudo usermod -aG docker $USER');
  });

  it('knows a tcp endpoint and Docker Desktop for Windows not started', () => {
    // docker 29 prints the old sentence for tcp endpoints (seen while capturing).
    expect(dockerEngineProblem('Cannot connect to the Docker daemon at tcp://127.0.0.1:2376. Is the docker daemon running?')).toMatchObject(
      {
        kind: 'not-running',
        endpoint: 'tcp://127.0.0.1:2376',
      },
    );
    // From docker's docs; not captured (no Windows here).
    const windows =
      'error during connect: this error may indicate that the docker daemon is not running: Get "http://%2F%2F.%2Fpipe%2Fdocker_engine/v1.24/containers/json": open //./pipe/docker_engine: The system cannot find the file specified.';
    expect(dockerEngineProblem(windows)).toMatchObject({ kind: 'not-running', endpoint: undefined });
  });

  it('says nothing about other failures', () => {
    expect(dockerEngineProblem('Error response from daemon: No such image: busybox:1')).toBeUndefined();
    expect(
      dockerEngineProblem('ERROR: failed to create cluster: node(s) already exist for a cluster with the name "kind"'),
    ).toBeUndefined();
    expect(dockerEngineProblem('')).toBeUndefined();
  });
});

describe('in the adapters', () => {
  it('a failed kind command names the engine problem instead of kind’s long output', () => {
    const { output, exitCode } = capture('kind-docker-29-no-engine-create.txt');
    const e = new ToolFailedError('kind', ['create', 'cluster', '--name', 'deer-flow'], exitCode, output);
    expect(e.message).toBe(
      '`kind create cluster --name deer-flow` failed (exit 1): Docker is installed but its engine is not running ' +
        '(nothing answers at unix:///var/run/docker.sock). Start Docker Desktop, or on Linux the docker service ' +
        '(`sudo systemctl start docker`), then try again.',
    );
  });

  it.each([
    ['29', 'docker-29-no-engine-version.txt'],
    ['28', 'docker-28-no-engine-version.txt'],
  ])('docker %s installed, engine down: its version and the problem', async (_v, file) => {
    // A stand-in replaying the capture: the client version on stdout, the engine error on stderr.
    const { output, exitCode } = capture(file);
    const [version, ...stderr] = output.split('\n');
    const dir = mkdtempSync(join(tmpdir(), 'spd-docker-'));
    writeFileSync(join(dir, 'docker'), `#!/bin/sh\necho '${version}'\necho '${stderr.join('\n')}' >&2\nexit ${exitCode}\n`);
    chmodSync(join(dir, 'docker'), 0o755);
    const status = await detectTool('docker', { env: { PATH: hermeticPath(dir) } });
    expect(status).toEqual({ tool: 'docker', installed: true, version, problem: expect.stringContaining('engine is not running') });
    expect(toolStatusText(status)).toMatch(new RegExp(`^${version}, but: Docker is installed but its engine is not running`));
  });
});
