// UI benchmark, in Debian's Chromium against `serve` and the test control plane with 2,000
// sandboxes: time to first render of the full table, frame times while scrolling it, the
// delay from a Pod's phase changing in the cluster to its row showing it (target < 300 ms),
// and a logs panel following a Pod that writes a million lines (throughput, frames, memory).
// Prints numbers only; headless frame times are indicative of main-thread work, not of a GPU.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { up } from '../test/cluster/control-plane.js';
import { wireLogs } from '../test/cluster/kwok.js';
import { chromiumLaunchOptions } from '../test/support/chromium.js';
import { criLine } from '../test/support/cri.js';
import { startServe } from '../test/support/serve-process.js';
import { percentile, pool, table } from './stats.js';

const ROWS = Number(process.env.BENCH_UI_ROWS ?? 2000);
const PHASE_TRIALS = Number(process.env.BENCH_UI_TRIALS ?? 10);
const LOG_LINES = Number(process.env.BENCH_UI_LOG_LINES ?? 1_000_000);

export async function benchUi(): Promise<void> {
  await up(() => {});
  // serve hands out the built renderer: build it as it is now.
  execFileSync('npx', ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  const served = await startServe({ SANDBOX_ORPHAN_GRACE_SECONDS: '3600' });
  const browser = await chromium.launch(chromiumLaunchOptions());
  try {
    process.stderr.write(`[bench] creating ${ROWS} sandboxes…\n`);
    const ids = Array.from({ length: ROWS }, (_, i) => `ui-${String(i).padStart(5, '0')}`);
    let done = 0;
    await pool(ids, 32, async (id) => {
      const r = await fetch(`${served.apiUrl}/api/sandboxes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sandbox_id: id }),
      });
      if (!r.ok) throw new Error(`create ${id}: ${r.status} ${await r.text()}`);
      if (++done % 500 === 0) process.stderr.write(`[bench]   ${done}/${ROWS}\n`);
    });

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // First render: from navigation start to the table showing every sandbox.
    await page.goto(served.uiUrl);
    await page.waitForFunction((n) => document.querySelector('[data-testid=sandbox-count]')?.textContent === String(n), ROWS, {
      timeout: 120_000,
      polling: 'raf',
    });
    const firstRender = await page.evaluate(() => performance.now());
    const domRows = await page.locator('[data-testid^=sandbox-row-]').count();

    // Scrolling: 120 px per frame from top to bottom, every frame's duration recorded.
    // (Page scripts are strings: tsx's function-name helpers don't exist in the page.)
    const frames = (await page.evaluate(`new Promise((resolve) => {
      const el = document.querySelector('[data-testid=sandbox-scroller]');
      el.scrollTop = 0;
      const deltas = [];
      let last = performance.now();
      const step = (t) => {
        deltas.push(t - last);
        last = t;
        el.scrollTop += 120;
        if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1 || deltas.length > 2000) resolve(deltas.slice(1));
        else requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    })`)) as number[];

    // Phase change → row: sort by id so the first rows are on screen, then fail their Pods one by one.
    await page.evaluate(() => {
      (document.querySelector('[data-testid=sandbox-scroller]') as HTMLElement).scrollTop = 0;
    });
    await page.getByRole('button', { name: /^Sandbox/ }).click();
    const delays: number[] = [];
    for (const id of ids.slice(0, PHASE_TRIALS)) {
      const seen = page.evaluate(`new Promise((resolve) => {
        const check = () => document.querySelector('[data-testid="sandbox-row-${id}"] [data-status]')?.getAttribute('data-status') === 'Failed';
        if (check()) return resolve(Date.now());
        const obs = new MutationObserver(() => {
          if (check()) {
            obs.disconnect();
            resolve(Date.now());
          }
        });
        obs.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
      })`) as Promise<number>;
      await page.waitForSelector(`[data-testid="sandbox-row-${id}"]`);
      const pod = await served.core.readNamespacedPodStatus({ namespace: served.namespace, name: `sandbox-${id}` });
      pod.status = { ...pod.status, phase: 'Failed' };
      const t0 = Date.now();
      await served.core.replaceNamespacedPodStatus({ namespace: served.namespace, name: `sandbox-${id}`, body: pod });
      delays.push((await seen) - t0);
    }

    // Logs: a Pod writing a million lines while its logs panel follows them.
    const logId = ids[PHASE_TRIALS] ?? 'ui-00000';
    const logDir = mkdtempSync(join(tmpdir(), 'spd-bench-logs-'));
    const logFile = join(logDir, 'container.log');
    writeFileSync(logFile, '');
    await wireLogs(served.kc, served.namespace, `sandbox-${logId}`, logFile);
    await page.goto(`${served.uiUrl.split('?')[0]}#/sandboxes/${logId}`);
    await page.waitForSelector('[data-testid=logs-status][data-state=streaming]');
    const heapBefore = (await page.evaluate('performance.memory ? performance.memory.usedJSHeapSize : 0')) as number;
    const logFrames = page.evaluate(`new Promise((resolve) => {
      const deltas = [];
      let last = performance.now();
      const started = last;
      const step = (t) => {
        deltas.push(t - last);
        last = t;
        const total = Number(document.querySelector('[data-testid=logs-status]')?.getAttribute('data-total') ?? 0);
        if (total >= ${LOG_LINES} || t - started > 300000) resolve({ deltas: deltas.slice(1), ms: t - started, total });
        else requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    })`) as Promise<{ deltas: number[]; ms: number; total: number }>;
    const at = new Date();
    for (let chunk = 0; chunk < LOG_LINES / 100_000; chunk++) {
      const lines: string[] = [];
      for (let i = 0; i < 100_000; i++) {
        const n = chunk * 100_000 + i;
        lines.push(criLine(`${n % 7 === 0 ? '\u001b[33mWARN\u001b[0m' : 'INFO'} request ${n} handled in ${n % 97} ms`, 'stdout', at));
      }
      appendFileSync(logFile, lines.join(''));
    }
    const logRun = await logFrames;
    const heapAfter = (await page.evaluate('performance.memory ? performance.memory.usedJSHeapSize : 0')) as number;
    const kept = Number(await page.getAttribute('[data-testid=logs-status]', 'data-length'));

    const long = frames.filter((f) => f > 50).length;
    console.log(`\nUI with ${ROWS} sandboxes (Chromium ${browser.version()}, headless)`);
    console.log(
      table(
        ['measure', 'value', 'unit'],
        [
          ['first render of the full table (navigation → all rows counted)', firstRender, 'ms'],
          ['table rows in the DOM (virtualised)', domRows, 'rows'],
          ['scroll frames measured', frames.length, 'frames'],
          ['frame time p50', percentile(frames, 50), 'ms'],
          ['frame time p95', percentile(frames, 95), 'ms'],
          ['frame time max', Math.max(...frames), 'ms'],
          ['frames over 50 ms', long, 'frames'],
          ['phase change → row updated p50', percentile(delays, 50), 'ms'],
          ['phase change → row updated max', Math.max(...delays), 'ms'],
          ['… relative to the 300 ms target (p50)', percentile(delays, 50) / 300, 'x'],
          [`log lines received while following (of ${LOG_LINES})`, logRun.total, 'lines'],
          ['… throughput', logRun.total / (logRun.ms / 1000), 'lines/s'],
          ['… lines kept (bounded buffer)', kept, 'lines'],
          ['… frame time p95 while they arrive', percentile(logRun.deltas, 95), 'ms'],
          ['… frames over 50 ms while they arrive', logRun.deltas.filter((f) => f > 50).length, 'frames'],
          ['… JS heap before → after', `${(heapBefore / 1e6).toFixed(0)} → ${(heapAfter / 1e6).toFixed(0)}`, 'MB'],
        ],
      ),
    );
  } finally {
    await browser.close();
    await served.stop();
  }
}
