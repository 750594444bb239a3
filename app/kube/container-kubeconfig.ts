// The "container kubeconfig" (docs/provisioner.md: the API-server rewrite): the current context only, its loopback server
// rewritten to an address containers reach (host.docker.internal by default) with TLS still
// verified for the original name, and every credential file inlined (a container cannot read
// the host's paths). Credentials stay in the returned document; nothing here logs them.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Cluster, KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { isHostName } from '../config/config.js';
import { KubeconfigError } from './kubeconfig.js';
import { isLoopbackServerHost, rewriteApiServer } from './rewrite.js';

export interface ContainerKubeconfig {
  /** The kubeconfig document (YAML). Contains credentials: write it with mode 0600. */
  yaml: string;
  /** The value for K8S_API_SERVER that matches it. */
  apiServer: string;
  rewritten: boolean;
  warnings: string[];
}

const b64File = (path: string, what: string) => {
  try {
    return readFileSync(path).toString('base64');
  } catch (e) {
    throw new KubeconfigError(`cannot read the ${what} file ${path} to inline it: ${(e as Error).message}`);
  }
};

/**
 * The API server as containers reach it: a loopback server rewritten to `host` (TLS still
 * checked for the original name), any other server as it is. Reads no files.
 */
export function containerEndpoint(
  cluster: Cluster,
  host = 'host.docker.internal',
): { endpoint: Pick<Cluster, 'server' | 'tlsServerName'>; rewritten: boolean } {
  if (!isHostName(host)) throw new KubeconfigError(`--host ${JSON.stringify(host)} is not a host name or address`);
  const original = new URL(cluster.server);
  const rewritten = isLoopbackServerHost(original.hostname);
  return {
    endpoint: rewritten ? rewriteApiServer(cluster, `${original.protocol}//${host}:${original.port || '443'}`) : cluster,
    rewritten,
  };
}

export function containerKubeconfig(kc: KubeConfig, opts: { host?: string } = {}): ContainerKubeconfig {
  const context = kc.getContextObject(kc.getCurrentContext());
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!context || !cluster || !user) throw new KubeconfigError('the kubeconfig has no usable current context to export');
  const { endpoint, rewritten } = containerEndpoint(cluster, opts.host);
  const warnings: string[] = [];

  const clusterEntry: Record<string, unknown> = { server: endpoint.server };
  if (cluster.caData) clusterEntry['certificate-authority-data'] = cluster.caData;
  else if (cluster.caFile) clusterEntry['certificate-authority-data'] = b64File(cluster.caFile, 'certificate authority');
  if (endpoint.tlsServerName) clusterEntry['tls-server-name'] = endpoint.tlsServerName;
  if (cluster.skipTLSVerify) {
    clusterEntry['insecure-skip-tls-verify'] = true;
    warnings.push('the cluster entry skips TLS verification; so will the containers');
  }

  const userEntry: Record<string, unknown> = {};
  if (user.certData) userEntry['client-certificate-data'] = user.certData;
  else if (user.certFile) userEntry['client-certificate-data'] = b64File(user.certFile, 'client certificate');
  if (user.keyData) userEntry['client-key-data'] = user.keyData;
  else if (user.keyFile) userEntry['client-key-data'] = b64File(user.keyFile, 'client key');
  if (user.token) userEntry.token = user.token;
  if (user.username) userEntry.username = user.username;
  if (user.password) userEntry.password = user.password;
  if (user.exec || user.authProvider) {
    userEntry[user.exec ? 'exec' : 'auth-provider'] = user.exec ?? user.authProvider;
    warnings.push('the user authenticates through a plugin (exec/auth-provider), which must also exist inside the containers');
  }

  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster.name, cluster: clusterEntry }],
    users: [{ name: user.name, user: userEntry }],
    contexts: [
      {
        name: context.name,
        context: { cluster: cluster.name, user: user.name, ...(context.namespace ? { namespace: context.namespace } : {}) },
      },
    ],
    'current-context': context.name,
  };
  return { yaml: stringify(doc), apiServer: endpoint.server, rewritten, warnings };
}

export class FileExistsError extends Error {
  constructor(readonly path: string) {
    super(`${path} exists; not overwriting it`);
    this.name = 'FileExistsError';
  }
}

/**
 * Writes a file that holds credentials: mode 600 whether it is new or replaced (a replaced
 * file keeps no looser mode), and never over an existing file unless `replace`.
 */
export function writePrivateFile(path: string, content: string, opts: { replace?: boolean } = {}): void {
  if (!opts.replace) {
    try {
      writeFileSync(path, content, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new FileExistsError(path);
      throw e;
    }
    return;
  }
  // Replacing: a new file beside it under a random name, created exclusively and never through
  // a link (a predictable name could be made first by another local user, who would then own
  // the credentials), then renamed over the old one in one step.
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeFileSync(fd, content);
    fchmodSync(fd, 0o600); // the umask may have narrowed it only
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}
