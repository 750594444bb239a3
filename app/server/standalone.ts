// The headless provisioner, as `serve` runs it: the desk core (settings over the environment,
// the cluster connection, the watch and sweeps) with the upstream-compatible API listening on
// it. `serve` starts it, and so do the integration tests, fault tests and the benchmark, so
// they exercise the path users run (only their settings file is a throw-away one).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClusterConnection, StartupError } from '../core/connection.js';
import { DeskCore } from '../core/desk-core.js';
import type { SandboxProvisioner } from '../sandbox/provisioner.js';
import type { SandboxWatchCache } from '../sandbox/watch-cache.js';
import { checkListenSafety, listenProvisionerApi } from './serve.js';

export interface RunningProvisioner {
  core: DeskCore;
  provisioner: SandboxProvisioner;
  cache: SandboxWatchCache;
  url: string;
  close: () => Promise<void>;
}

type Env = Record<string, string | undefined>;

/**
 * Starts the headless provisioner from the environment (and the saved settings in
 * `settingsFile`): refuses an unsafe listen address before touching the cluster, needs the
 * cluster to answer, and has the provisioner API listening when it returns.
 */
export async function startHeadless(env: Env, opts: { settingsFile: string; log: (line: string) => void }): Promise<RunningProvisioner> {
  const core = new DeskCore({ settingsFile: opts.settingsFile, env, log: opts.log, provisionerApi: true, listen: listenProvisionerApi });
  try {
    checkListenSafety(core.settings.config()); // before touching the cluster
    await core.start({ requireCluster: true });
    const api = core.provisionerApi();
    const conn: ClusterConnection | undefined = core.connected();
    if (!api.running || !api.url || !conn) throw new StartupError(api.error ?? 'the provisioner API did not start');
    return { core, provisioner: conn.provisioner, cache: conn.cache, url: api.url, close: () => core.close() };
  } catch (e) {
    await core.close().catch(() => undefined);
    throw e;
  }
}

/** For tests and benchmarks: the same start, with a settings file of its own (nothing saved before). */
export function startProvisioner(env: Env, log: (line: string) => void): Promise<RunningProvisioner> {
  return startHeadless(env, { settingsFile: join(mkdtempSync(join(tmpdir(), 'spd-headless-')), 'settings.json'), log });
}
