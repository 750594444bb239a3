import { lstatSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { containerKubeconfig, FileExistsError, writePrivateFile } from '../../app/kube/container-kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'spd-ckc-'));
writeFileSync(join(dir, 'ca.crt'), 'CA-PEM');
writeFileSync(join(dir, 'client.crt'), 'CERT-PEM');
writeFileSync(join(dir, 'client.key'), 'KEY-PEM');

function kubeconfig(server: string, extraUser = ''): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(`apiVersion: v1
kind: Config
clusters:
- {name: kind-dev, cluster: {server: "${server}", certificate-authority: ${join(dir, 'ca.crt')}}}
- {name: other, cluster: {server: "https://10.0.0.1:6443"}}
users:
- {name: kind-dev, user: {client-certificate: ${join(dir, 'client.crt')}, client-key: ${join(dir, 'client.key')}${extraUser}}}
contexts:
- {name: kind-dev, context: {cluster: kind-dev, user: kind-dev, namespace: deer-flow}}
- {name: other, context: {cluster: other, user: kind-dev}}
current-context: kind-dev
`);
  return kc;
}

describe('containerKubeconfig', () => {
  it('rewrites a loopback server, keeps verifying its name, inlines credential files, keeps only the context', () => {
    const out = containerKubeconfig(kubeconfig('https://127.0.0.1:41234'));
    const doc = parse(out.yaml);
    expect(out).toMatchObject({ apiServer: 'https://host.docker.internal:41234', rewritten: true, warnings: [] });
    expect(doc.clusters).toEqual([
      {
        name: 'kind-dev',
        cluster: {
          server: 'https://host.docker.internal:41234',
          'certificate-authority-data': Buffer.from('CA-PEM').toString('base64'),
          'tls-server-name': '127.0.0.1',
        },
      },
    ]);
    expect(doc.users[0].user).toEqual({
      'client-certificate-data': Buffer.from('CERT-PEM').toString('base64'),
      'client-key-data': Buffer.from('KEY-PEM').toString('base64'),
    });
    expect(doc.contexts).toEqual([{ name: 'kind-dev', context: { cluster: 'kind-dev', user: 'kind-dev', namespace: 'deer-flow' } }]);
    expect(doc['current-context']).toBe('kind-dev');
  });

  it('uses a chosen host', () => {
    expect(containerKubeconfig(kubeconfig('https://localhost:6443'), { host: '172.17.0.1' }).apiServer).toBe('https://172.17.0.1:6443');
  });

  it('leaves a non-loopback server as it is', () => {
    const kc = kubeconfig('https://127.0.0.1:1');
    kc.setCurrentContext('other');
    const out = containerKubeconfig(kc);
    expect(out).toMatchObject({ apiServer: 'https://10.0.0.1:6443', rewritten: false });
    expect(parse(out.yaml).clusters[0].cluster['tls-server-name']).toBeUndefined();
  });

  it('warns when authentication needs a plugin the containers may lack', () => {
    const kc = kubeconfig('https://127.0.0.1:1', ', exec: {apiVersion: client.authentication.k8s.io/v1, command: aws}');
    expect(containerKubeconfig(kc).warnings[0]).toMatch(/plugin/);
  });

  it('rejects a host that is not a host', () => {
    expect(() => containerKubeconfig(kubeconfig('https://127.0.0.1:1'), { host: 'http://x' })).toThrow(/not a host name/);
  });
});

describe('writePrivateFile', () => {
  it('creates with mode 600, refuses an existing file, and a replaced file becomes 600 too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spd-private-'));
    const p = join(dir, 'kc');
    writePrivateFile(p, 'one');
    expect(statSync(p).mode & 0o777).toBe(0o600);
    expect(() => writePrivateFile(p, 'two')).toThrow(FileExistsError);
    expect(readFileSync(p, 'utf8')).toBe('one');
    const loose = join(dir, 'loose');
    writeFileSync(loose, 'old', { mode: 0o644 });
    writePrivateFile(loose, 'new', { replace: true });
    expect(readFileSync(loose, 'utf8')).toBe('new');
    expect(statSync(loose).mode & 0o777).toBe(0o600);
  });

  it('replacing never writes through a name another local user could have made first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spd-private-'));
    const p = join(dir, 'kc');
    writeFileSync(p, 'old');
    // The old temporary name was predictable (kc.tmp-<pid>): a link planted there took the credentials.
    const victim = join(dir, 'attacker-owned');
    writeFileSync(victim, '');
    symlinkSync(victim, `${p}.tmp-${process.pid}`);
    writePrivateFile(p, 'SECRET', { replace: true });
    expect(readFileSync(p, 'utf8')).toBe('SECRET');
    expect(readFileSync(victim, 'utf8')).toBe('');
    expect(lstatSync(p).isSymbolicLink()).toBe(false);
    // Nothing is left beside it but what was there.
    expect(readdirSync(dir).sort()).toEqual(['attacker-owned', 'kc', `kc.tmp-${process.pid}`]);
  });

  it('a link at the destination is replaced by the file, never followed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spd-private-'));
    const victim = join(dir, 'elsewhere');
    writeFileSync(victim, 'keep');
    const p = join(dir, 'kc');
    symlinkSync(victim, p);
    expect(() => writePrivateFile(p, 'SECRET')).toThrow(FileExistsError);
    writePrivateFile(p, 'SECRET', { replace: true });
    expect(readFileSync(victim, 'utf8')).toBe('keep');
    expect(lstatSync(p).isSymbolicLink()).toBe(false);
    expect(statSync(p).mode & 0o777).toBe(0o600);
  });
});
