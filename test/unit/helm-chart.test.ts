// The Helm chart (deploy/helm/sandbox-provisioner), linted and rendered by the real helm CLI
// (built from its Go module by test/cluster/build.sh): least-privilege RBAC, the API key from a
// Secret and required, a non-root read-only container probed on /health.
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { EGRESS_POLICY_NAME } from '../../app/sandbox/egress.js';
import { cacheDir, readVersions } from '../cluster/control-plane.js';

const helm = join(cacheDir(), 'bin', `helm-${readVersions().HELM_VERSION}`, 'helm');
const chart = 'deploy/helm/sandbox-provisioner';
const key = ['--set', 'apiKey.value=0123456789abcdef0123'];

interface Obj {
  kind: string;
  metadata: { name: string; namespace?: string };
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests are read field by field
  [k: string]: any;
}

async function render(...args: string[]): Promise<Obj[]> {
  const r = await execa(helm, ['template', 'sp', chart, '--namespace', 'deer-flow', ...args], {
    env: { HOME: '/nonexistent' },
    extendEnv: false,
  });
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);
}
const one = (objs: Obj[], kind: string) => {
  const found = objs.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as Obj;
};

describe('the Helm chart', () => {
  it('passes helm lint', async () => {
    const r = await execa(helm, ['lint', chart, ...key], { env: { HOME: '/nonexistent' }, extendEnv: false, reject: false });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  });

  it('refuses to render without an API key, or with a short one, saying what to set', async () => {
    const none = await execa(helm, ['template', 'sp', chart], { env: { HOME: '/nonexistent' }, extendEnv: false, reject: false });
    expect(none.exitCode).not.toBe(0);
    expect(none.stderr).toContain('an API key is required: set apiKey.existingSecret');
    const short = await execa(helm, ['template', 'sp', chart, '--set', 'apiKey.value=short'], {
      env: { HOME: '/nonexistent' },
      extendEnv: false,
      reject: false,
    });
    expect(short.stderr).toContain('apiKey.value must be 16 or more characters');
  });

  it('grants only what serve uses, in the sandbox namespace, and nothing cluster-wide', async () => {
    const objs = await render(...key);
    expect(objs.map((o) => o.kind).sort()).toEqual(
      ['Deployment', 'NetworkPolicy', 'Role', 'RoleBinding', 'Secret', 'Service', 'ServiceAccount'].sort(),
    );
    const role = one(objs, 'Role');
    expect(role.metadata.namespace).toBe('deer-flow');
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['pods', 'services'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['patch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['sp-sweep'], verbs: ['get', 'update'] },
      { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['create'] },
      {
        apiGroups: ['networking.k8s.io'],
        resources: ['networkpolicies'],
        resourceNames: [EGRESS_POLICY_NAME],
        verbs: ['get', 'update', 'delete'],
      },
    ]);
    expect(one(objs, 'RoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: 'sp', namespace: 'deer-flow' }]);
    // Sandboxes elsewhere: the Role goes there, the binding still names our ServiceAccount.
    const elsewhere = await render(...key, '--set', 'sandbox.namespace=sandboxes');
    expect(one(elsewhere, 'Role').metadata.namespace).toBe('sandboxes');
    expect(one(elsewhere, 'Deployment').spec.template.spec.containers[0].env).toContainEqual({ name: 'K8S_NAMESPACE', value: 'sandboxes' });
  });

  it('runs non-root with a read-only root, the key from the Secret, probed on /health, ClusterIP', async () => {
    const objs = await render(...key, '--set', 'image.tag=0.1.0-abc', '--set', 'extraEnv.SANDBOX_ORPHAN_GRACE_SECONDS=120');
    const pod = one(objs, 'Deployment').spec.template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe('sandbox-provisioner:0.1.0-abc');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(c.env).toContainEqual({ name: 'PROVISIONER_API_KEY', valueFrom: { secretKeyRef: { name: 'sp-api-key', key: 'api-key' } } });
    expect(c.env).toContainEqual({ name: 'SANDBOX_SERVICE_TYPE', value: 'ClusterIP' });
    expect(c.env).toContainEqual({ name: 'SWEEP_LEASE_NAME', value: 'sp-sweep' });
    expect(c.env).toContainEqual({ name: 'SANDBOX_ORPHAN_GRACE_SECONDS', value: '120' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(c.resources.requests).toEqual({ cpu: '50m', memory: '96Mi' });
    expect(one(objs, 'Service').spec.type).toBe('ClusterIP');
    expect(one(objs, 'Secret').stringData).toEqual({ 'api-key': '0123456789abcdef0123' });
    // An existing Secret: the chart makes none and reads that one.
    const existing = await render('--set', 'apiKey.existingSecret=team-key', '--set', 'apiKey.key=k');
    expect(existing.find((o) => o.kind === 'Secret')).toBeUndefined();
    expect(one(existing, 'Deployment').spec.template.spec.containers[0].env).toContainEqual({
      name: 'PROVISIONER_API_KEY',
      valueFrom: { secretKeyRef: { name: 'team-key', key: 'k' } },
    });
    expect((await render(...key, '--set', 'networkPolicy.enabled=false')).find((o) => o.kind === 'NetworkPolicy')).toBeUndefined();
  });
});
