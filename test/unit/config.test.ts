import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_SANDBOX_IMAGE, isLoopbackHost, loadConfig } from '../../app/config/config.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
}

describe('skills layout and the base folder (upstream today, the seed era kept)', () => {
  it('DEER_FLOW_HOST_BASE_DIR set: the skills views under it; a leftover SKILLS_HOST_PATH is ignored, with a warning', () => {
    const c = loadConfig({ DEER_FLOW_HOST_BASE_DIR: '/srv/df', SKILLS_HOST_PATH: '/old/skills' });
    expect(c).toMatchObject({ skillsLayout: 'views', hostBaseDir: '/srv/df', skillsHostPath: undefined });
    expect(c.warnings).toEqual([expect.stringMatching(/^SKILLS_HOST_PATH is ignored: DEER_FLOW_HOST_BASE_DIR is set/)]);
  });

  it('only SKILLS_HOST_PATH set: the seed-era single mount, with a warning naming the new variable', () => {
    const c = loadConfig({ SKILLS_HOST_PATH: '/old/skills' });
    expect(c).toMatchObject({ skillsLayout: 'single', skillsHostPath: '/old/skills', hostBaseDir: '/.deer-flow' });
    expect(c.warnings).toEqual([expect.stringContaining('from DEER_FLOW_HOST_BASE_DIR: set that instead')]);
  });

  it('set but empty: THREADS_HOST_PATH parent when it ends in threads (upstream fallback), else a problem', () => {
    expect(loadConfig({ DEER_FLOW_HOST_BASE_DIR: '', THREADS_HOST_PATH: '/data/df/threads' }).hostBaseDir).toBe('/data/df');
    expect(problems({ DEER_FLOW_HOST_BASE_DIR: ' ', THREADS_HOST_PATH: '/data/threads-x' })).toEqual([
      expect.stringMatching(/DEER_FLOW_HOST_BASE_DIR is empty and THREADS_HOST_PATH .* does not end in \/threads/),
    ]);
  });

  it('a relative base folder and an image with spaces are refused, naming the variable', () => {
    expect(problems({ DEER_FLOW_HOST_BASE_DIR: 'df', LARK_CLI_BROKER_IMAGE: 'a b' })).toEqual([
      expect.stringMatching(/^DEER_FLOW_HOST_BASE_DIR="df" is not valid: expected an absolute path/),
      expect.stringMatching(/^LARK_CLI_BROKER_IMAGE="a b" is not valid/),
    ]);
  });
});

describe('loadConfig', () => {
  it('has the upstream defaults', () => {
    expect(loadConfig({})).toEqual({
      namespace: 'deer-flow',
      sandboxImage: DEFAULT_SANDBOX_IMAGE,
      containerPort: 8080,
      serviceType: 'NodePort',
      nodeHost: 'host.docker.internal',
      nodePortRange: undefined,
      skillsLayout: 'views',
      skillsHostPath: undefined,
      hostBaseDir: '/.deer-flow',
      threadsHostPath: '/.deer-flow/threads',
      larkCliInitImage: undefined,
      larkCliBrokerImage: undefined,
      larkBrokerDenySubcommands: undefined,
      warnings: [],
      skillsPvcName: undefined,
      skillsPvcSubpathTemplate: undefined,
      userdataPvcName: undefined,
      kubeconfigPath: undefined,
      apiServer: undefined,
      insecureSkipTlsVerify: false,
      apiKey: undefined,
      host: '127.0.0.1',
      port: 8002,
      orphanGraceSeconds: 60,
      sweepLeaseName: undefined,
      resources: {
        cpuRequest: '100m',
        cpuLimit: '1000m',
        memoryRequest: '256Mi',
        memoryLimit: '1Gi',
        maxCpu: undefined,
        maxMemory: undefined,
      },
      // Ours, off or open by default: the drop-in behaves as upstream until asked.
      idleSeconds: undefined,
      ttlSeconds: undefined,
      egress: { mode: 'open', allow: [] },
    });
  });

  it('reads sandbox resources and their bounds, refusing bad or inconsistent values by name', () => {
    expect(
      loadConfig({
        SANDBOX_CPU_REQUEST: '250m',
        SANDBOX_CPU_LIMIT: '2',
        SANDBOX_MEMORY_LIMIT: '2Gi',
        SANDBOX_MAX_CPU: '4',
        SANDBOX_MAX_MEMORY: '8Gi',
      }).resources,
    ).toEqual({ cpuRequest: '250m', cpuLimit: '2', memoryRequest: '256Mi', memoryLimit: '2Gi', maxCpu: '4', maxMemory: '8Gi' });
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (e) {
        return (e as ConfigError).fields.map((f) => ({ variable: f.field, message: f.message }));
      }
    };
    expect(problems({ SANDBOX_CPU_LIMIT: 'lots' })).toEqual([
      { variable: 'SANDBOX_CPU_LIMIT', message: 'SANDBOX_CPU_LIMIT: "lots" is not a Kubernetes quantity (e.g. 500m or 2 (cores))' },
    ]);
    expect(problems({ SANDBOX_MEMORY_REQUEST: '2Gi' })).toEqual([
      {
        variable: 'SANDBOX_MEMORY_REQUEST',
        message: 'SANDBOX_MEMORY_REQUEST (2Gi) is above SANDBOX_MEMORY_LIMIT (1Gi): lower it or raise SANDBOX_MEMORY_LIMIT',
      },
    ]);
    expect(problems({ SANDBOX_MAX_CPU: '500m' }).map((p) => p.variable)).toEqual(['SANDBOX_CPU_LIMIT']);
    expect(problems({ SANDBOX_MAX_MEMORY: '1e9' }).map((p) => p.variable)).toEqual(['SANDBOX_MAX_MEMORY']);
    // The sweep's Lease is an object name, like the other names read here.
    expect(loadConfig({ SWEEP_LEASE_NAME: 'sp-sweep' }).sweepLeaseName).toBe('sp-sweep');
    expect(problems({ SWEEP_LEASE_NAME: 'Sp_Sweep' }).map((p) => p.variable)).toEqual(['SWEEP_LEASE_NAME']);
    // Expiry is off unless set; set, it is a whole number of seconds from 1.
    expect(loadConfig({})).toMatchObject({ idleSeconds: undefined, ttlSeconds: undefined });
    expect(loadConfig({ SANDBOX_IDLE_SECONDS: '900', SANDBOX_TTL_SECONDS: '86400' })).toMatchObject({
      idleSeconds: 900,
      ttlSeconds: 86_400,
    });
    expect(problems({ SANDBOX_IDLE_SECONDS: '15m' })).toEqual([
      expect.objectContaining({
        variable: 'SANDBOX_IDLE_SECONDS',
        message: expect.stringMatching(/"15m" is not valid: expected a whole number from 1 to 31536000/),
      }),
    ]);
    expect(problems({ SANDBOX_TTL_SECONDS: '0' }).map((p) => p.variable)).toEqual(['SANDBOX_TTL_SECONDS']);
    // Egress problems come through loadConfig by variable too.
    expect(problems({ SANDBOX_EGRESS: 'allowlist', SANDBOX_EGRESS_ALLOW: '10.0.0.0/40' }).map((p) => p.variable)).toEqual([
      'SANDBOX_EGRESS_ALLOW',
    ]);
    expect(loadConfig({ SANDBOX_EGRESS: 'isolated' }).egress).toEqual({ mode: 'isolated', allow: [] });
  });

  it('reads every variable', () => {
    const c = loadConfig({
      K8S_NAMESPACE: 'sandboxes',
      SANDBOX_IMAGE: 'my/image:1',
      SANDBOX_CONTAINER_PORT: '9000',
      SANDBOX_SERVICE_TYPE: 'clusterip',
      NODE_HOST: '192.168.1.5',
      SKILLS_HOST_PATH: '/data/skills',
      THREADS_HOST_PATH: 'C:\\deer\\threads',
      SKILLS_PVC_NAME: 'skills.claim',
      SKILLS_PVC_SUBPATH_TEMPLATE: 'u/{user_id}/{thread_id}',
      USERDATA_PVC_NAME: 'data',
      KUBECONFIG_PATH: '/kube/config',
      K8S_API_SERVER: 'https://host.docker.internal:6443',
      K8S_INSECURE_SKIP_TLS_VERIFY: 'true',
      PROVISIONER_API_KEY: '0123456789abcdef',
      PROVISIONER_HOST: '0.0.0.0',
      PROVISIONER_PORT: '9002',
    });
    expect(c).toMatchObject({
      namespace: 'sandboxes',
      containerPort: 9000,
      serviceType: 'ClusterIP',
      threadsHostPath: 'C:\\deer\\threads',
      skillsPvcSubpathTemplate: 'u/{user_id}/{thread_id}',
      insecureSkipTlsVerify: true,
      host: '0.0.0.0',
      port: 9002,
    });
  });

  it('treats blank values as unset', () => {
    expect(loadConfig({ K8S_NAMESPACE: '  ', SKILLS_PVC_NAME: '' })).toMatchObject({ namespace: 'deer-flow', skillsPvcName: undefined });
  });

  it.each([
    ['K8S_NAMESPACE', 'Deer_Flow', /K8S_NAMESPACE="Deer_Flow".*DNS-1123/],
    ['SANDBOX_CONTAINER_PORT', '0', /SANDBOX_CONTAINER_PORT="0".*1 to 65535/],
    ['SANDBOX_CONTAINER_PORT', '80a', /whole number/],
    ['SANDBOX_SERVICE_TYPE', 'LoadBalancer', /NodePort or ClusterIP/],
    ['NODE_HOST', 'http://host:1', /without scheme or port/],
    ['SKILLS_HOST_PATH', 'skills', /absolute path/],
    ['THREADS_HOST_PATH', './threads', /absolute path/],
    ['USERDATA_PVC_NAME', 'Bad_Name', /Kubernetes object name/],
    ['K8S_API_SERVER', 'host:6443', /URL like https/],
    ['K8S_INSECURE_SKIP_TLS_VERIFY', 'maybe', /true or false/],
    ['PROVISIONER_API_KEY', 'short', /at least 16 characters/],
    ['PROVISIONER_PORT', '70000', /0 to 65535/],
  ])('rejects %s=%s naming the variable, the value and what is allowed', (name, value, message) => {
    const p = problems({ [name]: value });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(message);
  });

  it('rejects unknown subpath placeholders and escaping templates', () => {
    expect(problems({ SKILLS_PVC_NAME: 's', SKILLS_PVC_SUBPATH_TEMPLATE: '{tenant}/x' })[0]).toMatch(/unknown placeholder \{tenant\}/);
    expect(problems({ SKILLS_PVC_NAME: 's', SKILLS_PVC_SUBPATH_TEMPLATE: '../{user_id}' })[0]).toMatch(/no "\.\."/);
    expect(problems({ SKILLS_PVC_SUBPATH_TEMPLATE: '{user_id}' })[0]).toMatch(/SKILLS_PVC_NAME is not/);
  });

  it('reports every problem at once', () => {
    expect(problems({ K8S_NAMESPACE: 'X', PROVISIONER_PORT: 'x', SANDBOX_SERVICE_TYPE: 'y' })).toHaveLength(3);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0.0.0.0', false],
    ['192.168.0.1', false],
    ['::', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
