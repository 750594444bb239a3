// npm run demo: the whole product on a machine with no cluster and no Electron — the simulated
// cluster (the test control plane: real API server, kwok node), the provisioner API on port
// 8002 and the UI for a browser, with a few sample sandboxes whose logs say something.
// `npm run demo -- --desktop`: the same in the desktop app instead of a browser.
// Ctrl-C stops everything this script started.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { SettingsStore } from '../app/desk/settings-store.js';
import { down, isHealthy, readState, up } from '../test/cluster/control-plane.js';
import { wireLogs } from '../test/cluster/kwok.js';
import { criLine } from '../test/support/cri.js';

const log = (l: string) => process.stderr.write(`[demo] ${l}\n`);
const namespace = process.env.K8S_NAMESPACE ?? 'deer-flow';
const port = process.env.PROVISIONER_PORT ?? '8002';

const running = readState();
const reuse = running !== undefined && (await isHealthy(running));
log(reuse ? 'using the running simulated cluster' : 'starting the simulated cluster (first run builds it from Go modules: minutes)');
const state = reuse && running ? running : await up(log);

// --desktop: the Electron app (npm start) on the simulated cluster, with a profile of its own
// (so your settings stay as they are) whose provisioner API is on; else `serve` for a browser.
const desktop = process.argv.includes('--desktop');
const profile = mkdtempSync(join(tmpdir(), 'spd-demo-'));
const env = { ...process.env, KUBECONFIG_PATH: state.kubeconfig, K8S_NAMESPACE: namespace, PROVISIONER_PORT: port };
if (desktop) new SettingsStore(join(profile, 'settings.json'), {}).setProvisionerApi(true);
// Its own process group (detached), so stopping reaches what npm started under a shell too.
const child = desktop
  ? spawn('npm', ['start'], { env: { ...env, SPD_USER_DATA: profile }, stdio: ['ignore', 'inherit', 'inherit'], detached: true })
  : spawn('npm', ['run', '-s', 'serve'], {
      env: { ...env, SPD_SETTINGS_FILE: process.env.SPD_SETTINGS_FILE ?? join(profile, 'settings.json') },
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });

let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  try {
    if (child.pid) process.kill(-child.pid, 'SIGTERM');
  } catch {
    // the group is gone already
  }
  if (!reuse) await down(log);
  process.exit(code);
};
process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));
child.on('exit', (code) => {
  log(`${desktop ? 'the desktop app' : 'the server'} stopped (exit ${code})`);
  void stop(code ?? 1);
});

const seeded = () =>
  seed().then(
    () =>
      log(
        `ready: provisioner API http://127.0.0.1:${port}, sample sandboxes demo-1..3; ${desktop ? 'see the app window' : 'open the UI address above'}. Ctrl-C stops.`,
      ),
    (e: Error) => log(`could not create the sample sandboxes: ${e.message}`),
  );
if (desktop) void waitForProvisionerApi().then(seeded);
else {
  let printed = false;
  child.stdout?.on('data', (d: Buffer) => {
    const text = d.toString();
    process.stdout.write(text);
    if (!printed && /^UI: /m.test(text)) {
      printed = true;
      void seeded();
    }
  });
}

/** The app builds first, then starts the provisioner API: wait for its /health. */
async function waitForProvisionerApi(): Promise<void> {
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Three sandboxes through the provisioner API, each with a short log kwok serves (and follows). */
async function seed(): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  const dir = mkdtempSync(join(tmpdir(), 'spd-demo-logs-'));
  for (const n of [1, 2, 3]) {
    const id = `demo-${n}`;
    const r = await fetch(`http://127.0.0.1:${port}/api/sandboxes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sandbox_id: id, thread_id: `thread-${n}`, user_id: n === 3 ? 'alice' : 'default' }),
    });
    if (!r.ok) throw new Error(`POST /api/sandboxes ${id}: ${r.status} ${await r.text()}`);
    const file = join(dir, `${id}.log`);
    const lines = [
      `starting sandbox ${id}`,
      '\u001b[32mINFO\u001b[0m listening on :8080',
      '\u001b[33mWARN\u001b[0m no skills mounted yet',
      'GET /v1/sandbox 200 1.2ms',
    ];
    writeFileSync(file, lines.map((l) => criLine(l)).join(''));
    await wireLogs(kc, namespace, `sandbox-${id}`, file);
  }
}
