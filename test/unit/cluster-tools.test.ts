// The CLI adapters with stand-in executables on PATH that record their arguments and print
// what the real tools print (formats from the tools' sources: kind's `get clusters` and
// minikube's `profile list -o json`; not captured here — no Docker engine on these machines).
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectLocalTools } from '../../app/cluster/local-tools.js';
import { detectTool, parseKindClusters, parseMinikubeProfiles, runTool, summaryLine } from '../../app/cluster/tools.js';
import { hermeticPath } from '../support/hermetic-path.js';

function standIns(scripts: Record<string, string>): { env: NodeJS.ProcessEnv; calls: (tool: string) => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'spd-tools-'));
  for (const [tool, body] of Object.entries(scripts)) {
    const p = join(dir, tool);
    writeFileSync(p, `#!/bin/sh\necho "$*" >> "${dir}/${tool}.calls"\n${body}\n`);
    chmodSync(p, 0o755);
  }
  return {
    env: { PATH: hermeticPath(dir) },
    calls: (tool) => {
      try {
        return readFileSync(join(dir, `${tool}.calls`), 'utf8')
          .trim()
          .split('\n');
      } catch {
        return [];
      }
    },
  };
}

describe('detectTool', () => {
  it('reports a missing CLI as not installed, with the install hint', async () => {
    const { env } = standIns({});
    expect(await detectTool('kind', { env })).toEqual({
      tool: 'kind',
      installed: false,
      hint: expect.stringContaining('kind.sigs.k8s.io'),
    });
  });

  it('reads the version of an installed CLI, calling it as documented', async () => {
    const t = standIns({ kind: 'echo "kind v0.30.0 go1.25.1 linux/amd64"', minikube: 'echo "v1.37.0"' });
    expect(await detectTool('kind', { env: t.env })).toEqual({
      tool: 'kind',
      installed: true,
      version: 'kind v0.30.0 go1.25.1 linux/amd64',
    });
    expect(await detectTool('minikube', { env: t.env })).toEqual({ tool: 'minikube', installed: true, version: 'v1.37.0' });
    expect(t.calls('kind')).toEqual(['version']);
    expect(t.calls('minikube')).toEqual(['version --short']);
  });

  it('shows the stderr of a CLI that fails', async () => {
    const t = standIns({ docker: 'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock" >&2; exit 1' });
    expect(await detectTool('docker', { env: t.env })).toEqual({
      tool: 'docker',
      installed: true,
      error: expect.stringContaining('Cannot connect to the Docker daemon'),
    });
  });

  it('runTool passes arguments through and returns output and exit code', async () => {
    const t = standIns({ kind: 'echo dev; echo deer-flow; exit 0' });
    const r = await runTool('kind', ['get', 'clusters'], { env: t.env });
    expect(parseKindClusters(r.stdout)).toEqual(['dev', 'deer-flow']);
    expect(t.calls('kind')).toEqual(['get clusters']);
  });
});

describe('parsers', () => {
  it('kind get clusters: none', () => {
    expect(parseKindClusters('')).toEqual([]);
    expect(parseKindClusters('No kind clusters found.\n')).toEqual([]);
  });

  it('minikube profile list -o json', () => {
    const out = JSON.stringify({
      invalid: [],
      valid: [{ Name: 'minikube', Status: 'Running', Config: { Driver: 'docker', Nodes: [{ IP: '192.168.49.2', Port: 8443 }] } }],
    });
    expect(parseMinikubeProfiles(out)).toEqual([{ name: 'minikube', status: 'Running', driver: 'docker', nodeIp: '192.168.49.2' }]);
  });
});

describe('summaryLine', () => {
  it('keeps the ERROR line and what follows, shortened in the middle when long', () => {
    const out = [
      'Creating cluster "x" ...',
      ' ✗ Preparing nodes',
      `ERROR: failed to create cluster: command "docker run ${'-x '.repeat(150)}" failed`,
      '',
      'Command Output: no engine',
    ].join('\n');
    const s = summaryLine(out);
    expect(s.startsWith('ERROR: failed to create cluster')).toBe(true);
    expect(s.endsWith('Command Output: no engine')).toBe(true);
    expect(s.length).toBeLessThan(400);
    expect(summaryLine('one\ntwo\n')).toBe('two');
    expect(summaryLine('')).toBe('');
  });
});

describe('detectLocalTools', () => {
  it('lists what kind and minikube know, only for the tools that work', async () => {
    const t = standIns({
      kind: '[ "$1" = version ] && echo "kind v0.33.0"; [ "$1" = get ] && echo deer-flow; exit 0',
      minikube:
        '[ "$1" = version ] && echo v1.37.0; [ "$1" = profile ] && echo \'{"invalid":[],"valid":[{"Name":"mk","Status":"Running","Config":{"Driver":"docker","Nodes":[{"IP":"192.168.49.2"}]}}]}\'; exit 0',
    });
    const r = await detectLocalTools({ env: t.env });
    expect(r.tools.map((x) => [x.tool, 'version' in x])).toEqual([
      ['kind', true],
      ['minikube', true],
      ['docker', false],
    ]);
    expect(r.kindClusters).toEqual(['deer-flow']);
    expect(r.minikubeProfiles).toEqual([{ name: 'mk', status: 'Running', driver: 'docker', nodeIp: '192.168.49.2' }]);
  });

  it('asks no clusters of a missing tool, and reports a failing listing', async () => {
    const t = standIns({ kind: '[ "$1" = version ] && { echo "kind v0.33.0"; exit 0; }; echo "boom" >&2; exit 1' });
    const r = await detectLocalTools({ env: t.env });
    expect(r.kindClusters).toBeUndefined();
    expect(r.kindError).toBe('`kind get clusters` failed (exit 1): boom');
    expect(r.minikubeProfiles).toBeUndefined();
    expect(t.calls('minikube')).toEqual([]);
  });
});
