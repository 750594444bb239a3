// Loads the kubeconfig the provisioner uses (docs/provisioner.md: the API-server rewrite): KUBECONFIG_PATH (a file), else the
// KUBECONFIG list, else ~/.kube/config, else in-cluster. Errors name the file and the fix.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { type Cluster, KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { AppError } from '../errors.js';
import { rewriteApiServer } from './rewrite.js';

/** The kubeconfig cannot be used as it is (missing, malformed, no such context, bad server). */
export class KubeconfigError extends AppError {
  constructor(message: string) {
    super('invalid', message);
  }
}

/** No kubeconfig anywhere (none named, none at the usual places, not in a cluster). */
export class NoKubeconfigError extends KubeconfigError {}

export interface KubeconfigSource {
  kubeconfigPath?: string | undefined;
  apiServer?: string | undefined;
  insecureSkipTlsVerify?: boolean | undefined;
  context?: string | undefined;
}

export interface LoadedKubeConfig {
  kc: KubeConfig;
  /** Where it came from, for logs and the UI (a path, or "in-cluster"). */
  origin: string;
  /** Warnings worth a log line (e.g. a KUBECONFIG_PATH that does not exist). */
  warnings: string[];
}

function checkedFile(path: string, variable: string): 'file' | 'missing' {
  if (!existsSync(path)) return 'missing';
  const st = statSync(path);
  if (st.isDirectory()) {
    throw new KubeconfigError(
      `${variable}=${path} is a directory, but a kubeconfig file is expected. Point it at the file itself (for example ~/.kube/config), or when mounting into a container mount the file, not its folder.`,
    );
  }
  if (!st.isFile()) throw new KubeconfigError(`${variable}=${path} is not a regular file`);
  return 'file';
}

/** Parses one kubeconfig file with errors that say which file and what is wrong. */
export function kubeConfigFromFile(path: string): KubeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new KubeconfigError(`cannot read kubeconfig ${path}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new KubeconfigError(`kubeconfig ${path} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new KubeconfigError(`kubeconfig ${path} is not a kubeconfig: expected a mapping with clusters, users and contexts`);
  }
  const kc = new KubeConfig();
  try {
    kc.loadFromString(text);
  } catch (e) {
    throw new KubeconfigError(`kubeconfig ${path} is malformed: ${(e as Error).message}`);
  }
  return kc;
}

export function loadKubeConfig(src: KubeconfigSource, env: Record<string, string | undefined> = process.env): LoadedKubeConfig {
  const warnings: string[] = [];
  let kc: KubeConfig | undefined;
  let origin = '';

  if (src.kubeconfigPath) {
    if (checkedFile(src.kubeconfigPath, 'KUBECONFIG_PATH') === 'file') {
      kc = kubeConfigFromFile(src.kubeconfigPath);
      origin = src.kubeconfigPath;
    } else {
      warnings.push(`KUBECONFIG_PATH=${src.kubeconfigPath} does not exist; falling back to KUBECONFIG, ~/.kube/config, then in-cluster`);
    }
  }
  if (!kc && env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(delimiter).filter((f) => f && checkedFile(f, 'KUBECONFIG') === 'file');
    for (const f of files) {
      const next = kubeConfigFromFile(f);
      if (!kc) kc = next;
      else kc.mergeConfig(next, true); // like kubectl: the first file that sets a value wins
    }
    if (kc) origin = files.join(delimiter);
  }
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  if (!kc && checkedFile(home, '~/.kube/config') === 'file') {
    kc = kubeConfigFromFile(home);
    origin = home;
  }
  if (!kc && env.KUBERNETES_SERVICE_HOST) {
    kc = new KubeConfig();
    kc.loadFromCluster();
    origin = 'in-cluster';
  }
  if (!kc) {
    throw new NoKubeconfigError(
      'No kubeconfig found: set KUBECONFIG_PATH to a kubeconfig file, or create a local cluster (kind create cluster / minikube start), which writes ~/.kube/config.',
    );
  }

  if (src.context) {
    if (!kc.getContextObject(src.context)) {
      throw new KubeconfigError(
        `context "${src.context}" is not in ${origin}; available: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(', ') || 'none'
        }`,
      );
    }
    kc.setCurrentContext(src.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!kc.getCurrentContext() || !cluster) {
    throw new KubeconfigError(
      `kubeconfig ${origin} has no usable current context: set current-context, or choose one of ${
        kc
          .getContexts()
          .map((c) => c.name)
          .join(', ') || '(none)'
      }`,
    );
  }
  try {
    new URL(cluster.server);
  } catch {
    throw new KubeconfigError(
      `kubeconfig ${origin}: cluster "${cluster.name}" has no valid server URL (${JSON.stringify(cluster.server)})`,
    );
  }

  if (src.apiServer || src.insecureSkipTlsVerify) {
    kc = withCluster(
      kc,
      src.apiServer
        ? rewriteApiServer(cluster, src.apiServer, { insecureSkipTlsVerify: src.insecureSkipTlsVerify ?? false })
        : { ...cluster, skipTLSVerify: true },
    );
    if (src.insecureSkipTlsVerify) warnings.push('K8S_INSECURE_SKIP_TLS_VERIFY=true: the API server certificate is NOT verified');
  }
  return { kc, origin, warnings };
}

/** A copy of `kc` whose current cluster has the given endpoint fields. */
function withCluster(kc: KubeConfig, endpoint: Partial<Cluster>): KubeConfig {
  const current = kc.getCurrentCluster()!;
  const updated: Cluster = { ...current, ...endpoint } as Cluster;
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: kc.clusters.map((c) => (c.name === current.name ? updated : c)),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return out;
}
