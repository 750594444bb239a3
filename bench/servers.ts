// The two provisioners the benchmark measures, each in a process of its own as deployed (a
// client sharing the server's event loop waits behind the server's watch events: that added
// 6-10 ms to every write of ours): ours as shipped (the compiled CLI, `serve --no-ui`), and
// upstream's Python provisioner (bench/upstream/app.py, copied from DeerFlow) under uvicorn,
// its virtualenv made once from the pinned requirements (PyPI) and cached by their hash.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { freePort } from '../test/cluster/control-plane.js';

const here = join(dirname(fileURLToPath(import.meta.url)), 'upstream');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface ServerProcess {
  url: string;
  key: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

/** A fresh API key for one run (both servers are asked with one, so each pays for its check). */
const newKey = () => createHash('sha256').update(`${Date.now()}${Math.random()}`).digest('hex').slice(0, 32);

/** Waits until `ready` says yes; throws (with the end of its stderr) if the process ends first or a minute passes. */
async function started(proc: ResultPromise, url: string, ready: () => Promise<boolean>, name: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && (proc.exitCode === null || proc.exitCode === undefined)) {
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  const r = await proc;
  throw new Error(
    `${name} did not start on ${url}: ${String(r.stderr ?? '')
      .trim()
      .split('\n')
      .slice(-3)
      .join(' | ')}`,
  );
}

/**
 * Ours as shipped: `node bin/sandbox-provisioner.js serve --no-ui` (dist/, built by
 * bench/shipped.ts), with an API key, ready once its watch has synced.
 */
export async function startOurs(
  env: Record<string, string>,
  nodeFlags: string[] = [],
): Promise<ServerProcess & { metrics(): Promise<string> }> {
  const port = await freePort();
  const key = newKey();
  const proc: ResultPromise = execa(process.execPath, [...nodeFlags, join(root, 'bin', 'sandbox-provisioner.js'), 'serve', '--no-ui'], {
    cwd: root,
    stdin: 'ignore',
    reject: false,
    // Settings of its own: saved UI settings replace the environment, and the user's must
    // neither steer the benchmark nor be written by it.
    env: {
      ...env,
      PROVISIONER_PORT: String(port),
      PROVISIONER_API_KEY: key,
      SPD_SETTINGS_FILE: join(mkdtempSync(join(tmpdir(), 'spd-bench-')), 'settings.json'),
    },
    extendEnv: false,
  });
  const url = `http://127.0.0.1:${port}`;
  const metrics = () => fetch(`${url}/metrics`, { headers: { 'x-api-key': key } }).then((r) => r.text());
  await started(proc, url, async () => /^sandbox_provisioner_watch_synced 1$/m.test(await metrics()), 'our provisioner');
  return {
    url,
    key,
    pid: proc.pid,
    metrics,
    // Idempotent: the benchmark stops it early to measure memory in its own process.
    stop: async () => {
      proc.kill('SIGTERM');
      await proc;
    },
  };
}

/** The Python the virtualenv is made from: BENCH_PYTHON, else python3.11+ found by name, said aloud. */
async function findPython(log: (l: string) => void): Promise<string | undefined> {
  for (const candidate of [process.env.BENCH_PYTHON, 'python3.12', 'python3.11', 'python3'].filter(Boolean) as string[]) {
    const r = await execa(candidate, ['-c', 'import sys; print(sys.executable, sys.version_info >= (3, 10))'], {
      reject: false,
      stdin: 'ignore',
    });
    const [exe, ok] = r.exitCode === 0 ? String(r.stdout).trim().split(' ') : [];
    if (ok === 'True') {
      log(`upstream: Python ${exe}`);
      return exe;
    }
  }
  return undefined;
}

async function ensureVenv(log: (l: string) => void): Promise<string | undefined> {
  const requirements = join(here, 'requirements.txt');
  const hash = createHash('sha256').update(readFileSync(requirements)).digest('hex').slice(0, 12);
  const venv = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sandbox-provisioner-desktop', 'upstream', hash);
  const uvicorn = join(venv, 'bin', 'uvicorn');
  if (existsSync(uvicorn)) return uvicorn;
  const python = await findPython(log);
  if (!python) return undefined;
  log(`upstream: making its virtualenv in ${venv} (once; fastapi, uvicorn, kubernetes from PyPI)…`);
  await execa(python, ['-m', 'venv', venv], { stdin: 'ignore' });
  await execa(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '-r', requirements], {
    stdin: 'ignore',
    stdout: 'inherit',
    stderr: 'inherit',
  });
  return uvicorn;
}

/**
 * Starts upstream's provisioner on a free loopback port with an API key, watching `namespace`
 * through `kubeconfig`; undefined (with the reason logged) when it cannot be set up here.
 */
export async function startUpstream(kubeconfig: string, namespace: string, log: (l: string) => void): Promise<ServerProcess | undefined> {
  let uvicorn: string | undefined;
  try {
    uvicorn = await ensureVenv(log);
  } catch (e) {
    log(`upstream: not measured, its virtualenv could not be made: ${(e as Error).message.split('\n')[0]}`);
    return undefined;
  }
  if (!uvicorn) {
    log('upstream: not measured, no Python 3.10+ found (set BENCH_PYTHON)');
    return undefined;
  }
  const port = await freePort();
  const key = newKey();
  const proc: ResultPromise = execa(uvicorn, ['app:app', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warning'], {
    cwd: here,
    stdin: 'ignore',
    reject: false,
    env: {
      KUBECONFIG_PATH: kubeconfig,
      K8S_NAMESPACE: namespace,
      PROVISIONER_API_KEY: key,
      NODE_HOST: '127.0.0.1',
      // The sandbox's own image is never pulled here (kwok runs no containers).
      SANDBOX_IMAGE: 'deer-flow-sandbox:bench',
    },
    extendEnv: false,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await started(proc, url, () => fetch(`${url}/health`).then((r) => r.ok), "upstream's app.py");
  } catch (e) {
    log(`upstream: not measured: ${(e as Error).message}`);
    return undefined;
  }
  log(`upstream: app.py listening on ${url}, namespace ${namespace}`);
  return {
    url,
    key,
    pid: proc.pid,
    stop: async () => {
      proc.kill('SIGTERM');
      await proc;
    },
  };
}
