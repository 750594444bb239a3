// Terminal benchmark, against `serve` and the test control plane (kwok runs the shell in a pty on
// this machine, behind the API server's exec): the time from a keystroke sent through the desk
// API to its echo arriving on the terminal stream (target < 50 ms, what feels instant), and the
// output throughput of a command printing 200,000 lines. Prints numbers only.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeskClient } from '../renderer/src/api/client.js';
import { up } from '../test/cluster/control-plane.js';
import { wireExec } from '../test/cluster/kwok.js';
import { startServe } from '../test/support/serve-process.js';
import { percentile, table } from './stats.js';

const KEYS = Number(process.env.BENCH_TERMINAL_KEYS ?? 200);
const LINES = Number(process.env.BENCH_TERMINAL_LINES ?? 200_000);
const ECHO_TARGET_MS = 50;

export async function benchTerminal(): Promise<void> {
  await up(() => {});
  const served = await startServe();
  try {
    const client = new DeskClient(new URL(served.uiUrl).origin, new URL(served.uiUrl).searchParams.get('token') ?? '');
    await client.call('createSandbox', { body: { sandbox_id: 'bench-term' } });
    await wireExec(served.kc, served.namespace, 'sandbox-bench-term', mkdtempSync(join(tmpdir(), 'spd-bench-term-')));
    for (let i = 0; i < 100; i++) {
      if ((await client.call('sandboxDetail', { params: { id: 'bench-term' } })).sandbox.status === 'Running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const t = await client.call('openTerminal', { params: { id: 'bench-term' }, body: { cols: 120, rows: 40 } });
    let received = '';
    let waiter: { until: (s: string) => boolean; resolve: () => void } | undefined;
    const abort = new AbortController();
    void client
      .terminal(
        t.id,
        (e) => {
          if (e.type === 'ended') return;
          received += e.data;
          if (waiter?.until(received)) {
            waiter.resolve();
            waiter = undefined;
          }
        },
        abort.signal,
      )
      .catch(() => undefined);
    const waitFor = (until: (s: string) => boolean) =>
      until(received) ? Promise.resolve() : new Promise<void>((resolve) => (waiter = { until, resolve }));
    const send = (data: string) => client.call('terminalInput', { params: { tid: t.id }, body: { data } });
    await send('stty -echoctl; PS1="$ "\r');
    await waitFor((s) => s.endsWith('$ '));

    process.stderr.write(`[bench] ${KEYS} keystrokes, each waited for its echo…\n`);
    const echo: number[] = [];
    for (let i = 0; i < KEYS; i++) {
      const key = String.fromCharCode(97 + (i % 26));
      const before = received.length;
      const started = performance.now();
      await send(key);
      await waitFor((s) => s.length > before && s.slice(before).includes(key));
      echo.push(performance.now() - started);
    }
    await send('\u0015'); // Ctrl+U: clear the typed line

    process.stderr.write(`[bench] printing ${LINES.toLocaleString()} lines…\n`);
    const mark = `done-${Date.now()}`;
    const before = received.length;
    const started = performance.now();
    await send(`seq 1 ${LINES}; echo ${mark.slice(0, 5)}""${mark.slice(5)}\r`);
    await waitFor((s) => s.slice(before).includes(`\n${mark}`));
    const seconds = (performance.now() - started) / 1000;
    const bytes = received.length - before;
    abort.abort();
    await client.call('closeTerminal', { params: { tid: t.id } });

    const p50 = percentile(echo, 50);
    const p95 = percentile(echo, 95);
    console.log('\nTerminal (desk API → API server exec → kwok pty), this machine');
    console.log(
      table(
        ['measure', 'value', 'target', 'value/target'],
        [
          ['keystroke → echo p50 (ms)', p50, ECHO_TARGET_MS, p50 / ECHO_TARGET_MS],
          ['keystroke → echo p95 (ms)', p95, ECHO_TARGET_MS, p95 / ECHO_TARGET_MS],
          ['keystroke → echo max (ms)', Math.max(...echo), '-', '-'],
          [`${LINES.toLocaleString()} lines out (s)`, seconds, '-', '-'],
          ['output (MB/s)', bytes / 1e6 / seconds, '-', '-'],
        ],
      ),
    );
  } finally {
    await served.stop();
  }
}
