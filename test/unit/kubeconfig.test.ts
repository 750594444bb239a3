import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubeconfigError, loadKubeConfig } from '../../app/kube/kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'spd-kc-'));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const kubeconfig = (server: string, context = 'kind-dev') => `apiVersion: v1
kind: Config
clusters: [{name: c1, cluster: {server: ${server}}}]
users: [{name: u1, user: {token: abc}}]
contexts: [{name: ${context}, context: {cluster: c1, user: u1}}, {name: other, context: {cluster: c1, user: u1}}]
current-context: ${context}
`;
const noHome = { HOME: join(dir, 'no-home') };

describe('loadKubeConfig', () => {
  it('loads KUBECONFIG_PATH', () => {
    const p = write('a.yaml', kubeconfig('https://127.0.0.1:6443'));
    const { kc, origin } = loadKubeConfig({ kubeconfigPath: p }, noHome);
    expect(origin).toBe(p);
    expect(kc.getCurrentContext()).toBe('kind-dev');
  });

  it('says clearly that a directory is not a kubeconfig file', () => {
    const d = join(dir, 'folder');
    mkdirSync(d);
    expect(() => loadKubeConfig({ kubeconfigPath: d }, noHome)).toThrow(
      /KUBECONFIG_PATH=.*folder is a directory.*Point it at the file itself/,
    );
  });

  it('falls back to KUBECONFIG when KUBECONFIG_PATH does not exist, and says so', () => {
    const p = write('b.yaml', kubeconfig('https://10.0.0.1:6443'));
    const r = loadKubeConfig({ kubeconfigPath: join(dir, 'missing') }, { ...noHome, KUBECONFIG: p });
    expect(r.origin).toBe(p);
    expect(r.warnings[0]).toMatch(/does not exist; falling back/);
  });

  it('merges a KUBECONFIG list, the first file winning the current context', () => {
    const first = write('m1.yaml', kubeconfig('https://127.0.0.1:1', 'first'));
    const second = write(
      'm2.yaml',
      kubeconfig('https://127.0.0.1:2', 'second').replaceAll('c1', 'c2').replaceAll('u1', 'u2').replace('name: other', 'name: other2'),
    );
    const { kc } = loadKubeConfig({}, { ...noHome, KUBECONFIG: `${first}:${second}` });
    expect(kc.getCurrentContext()).toBe('first');
    expect(kc.getContexts().map((c) => c.name)).toEqual(expect.arrayContaining(['first', 'second']));
  });

  it('names the file and the problem for malformed YAML', () => {
    const p = write('bad.yaml', 'clusters: [unclosed');
    expect(() => loadKubeConfig({ kubeconfigPath: p }, noHome)).toThrow(/bad\.yaml is not valid YAML/);
  });

  it('rejects a file that is not a kubeconfig', () => {
    const p = write('list.yaml', '- a\n- b\n');
    expect(() => loadKubeConfig({ kubeconfigPath: p }, noHome)).toThrow(/is not a kubeconfig/);
  });

  it('rejects a kubeconfig without a usable current context, listing the choices', () => {
    const p = write('nocontext.yaml', kubeconfig('https://127.0.0.1:6443').replace('current-context: kind-dev', 'current-context: gone'));
    expect(() => loadKubeConfig({ kubeconfigPath: p }, noHome)).toThrow(/no usable current context.*kind-dev, other/);
  });

  it('chooses a context, or names the available ones', () => {
    const p = write('ctx.yaml', kubeconfig('https://127.0.0.1:6443'));
    expect(loadKubeConfig({ kubeconfigPath: p, context: 'other' }, noHome).kc.getCurrentContext()).toBe('other');
    expect(() => loadKubeConfig({ kubeconfigPath: p, context: 'nope' }, noHome)).toThrow(
      /context "nope" is not in .*available: kind-dev, other/,
    );
  });

  it('says how to get a kubeconfig when there is none', () => {
    expect(() => loadKubeConfig({}, noHome)).toThrow(KubeconfigError);
    expect(() => loadKubeConfig({}, noHome)).toThrow(/kind create cluster/);
  });

  it('applies K8S_API_SERVER with the loopback name kept for verification', () => {
    const p = write('rw.yaml', kubeconfig('https://127.0.0.1:6443'));
    const { kc } = loadKubeConfig({ kubeconfigPath: p, apiServer: 'https://host.docker.internal:6443' }, noHome);
    expect(kc.getCurrentCluster()).toMatchObject({
      server: 'https://host.docker.internal:6443',
      tlsServerName: '127.0.0.1',
      skipTLSVerify: false,
    });
    expect(kc.getCurrentUser()?.token).toBe('abc');
  });
});
