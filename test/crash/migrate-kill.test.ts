// Crash-resume: the migrate CLI (and migrate --undo) is killed (SIGKILL) at random moments on a tree of thousands of
// threads. At the moment of each kill no file may be missing (every file is at its old or its
// new place), and the resumed run must end identical to an uninterrupted one.
// Half the kills are timed by the clock (any moment: start-up, scan, moves, report); the other
// half by progress: the legacy threads folder is watched and the CLI killed once a random share
// of its threads has moved, so those kills land during the moves however fast or slow the
// machine is (timing them by the clock missed the moves on a slow CI run).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MigrationReport } from '../../app/migration/execute.js';
import { makeLegacyTree, snapshot, writeFile } from '../support/legacy-tree.js';

const TRIALS = Number(process.env.CRASH_TRIALS ?? 50);
const UNDO_TRIALS = Number(process.env.CRASH_UNDO_TRIALS ?? 12);
const THREADS = Number(process.env.CRASH_THREADS ?? 2000);
// Trees live in memory (/dev/shm) where there is one: creating 10,000 files and folders per
// trial on this machine's disk costs seconds; SIGKILL does not lose page-cache writes, so the
// medium does not change what the test proves.
const root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'spd-crash-'));
const template = join(root, 'template');
const env = { ...process.env, KUBECONFIG_PATH: '/nonexistent', KUBECONFIG: '', HOME: root };

// The compiled CLI (built in beforeAll), as users run it: tsx would add a second of start-up.
function runCli(base: string, ...extra: string[]): ChildProcess {
  return spawn(process.execPath, ['dist/app/cli/main.js', 'migrate', '--base-dir', base, '--yes', '--force', '--json', ...extra], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function finish(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Where each original file must be after the migration, from the reference run's report. */
function destinationOf(report: MigrationReport): (path: string) => string {
  const moves = [...report.moved, ...report.conflicts];
  return (p) => {
    for (const m of moves) {
      if (p === m.from) return m.to;
      if (p.startsWith(`${m.from}/`)) return m.to + p.slice(m.from.length);
    }
    return p;
  };
}

/** Entries that differ between two snapshots (at most 20, for a readable failure). */
function diffSnapshots(a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) out.push(`${k}: ${v} vs ${b.get(k) ?? 'absent'}`);
  for (const k of b.keys()) if (!a.has(k)) out.push(`${k}: absent vs ${b.get(k)}`);
  return out.slice(0, 20);
}

let reference: Map<string, string>;
/** The migrated tree of the uninterrupted run (the starting point of the undo trials). */
let migratedDir: string;
let originals: string[];
let finalPlace: (p: string) => string;
let uninterruptedMs = 0;
/** Entries of the legacy threads folder before and after an uninterrupted run. */
let threadsBefore = 0;
let threadsAfter = 0;
const threadsIn = (dir: string) => (existsSync(join(dir, 'threads')) ? readdirSync(join(dir, 'threads')).length : 0);

/** Resolves once at most `target` entries are left in the threads folder, or the CLI exited. */
async function threadsMovedDownTo(dir: string, target: number, child: ChildProcess): Promise<void> {
  while (child.exitCode === null && child.signalCode === null && threadsIn(dir) > target) await new Promise((r) => setImmediate(r));
}

beforeAll(async () => {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  makeLegacyTree(template, {
    threads: THREADS,
    filesPerThread: 2,
    owners: Object.fromEntries(Array.from({ length: THREADS / 2 }, (_, i) => [`thread-${i * 2}`, `user-${i % 7}`])),
    agents: ['Writer', 'writer', 'Coder'],
    skills: ['s1', 's2', '.history'],
    memory: true,
  });
  writeFile(template, 'users/user-1/threads/thread-2/user-data/existing.txt', 'already migrated');
  originals = [...snapshot(template)].filter(([p, v]) => !p.endsWith('/') && v !== 'dir' && p !== 'deer-flow.db').map(([p]) => p);

  const refDir = join(root, 'reference');
  migratedDir = refDir;
  execFileSync('cp', ['-a', template, refDir]);
  threadsBefore = threadsIn(refDir);
  const started = Date.now();
  const { code, stdout } = await finish(runCli(refDir));
  uninterruptedMs = Date.now() - started;
  expect(code).toBe(0);
  const report = (JSON.parse(stdout) as { report: MigrationReport }).report;
  expect(report.ok).toBe(true);
  reference = snapshot(refDir);
  threadsAfter = threadsIn(refDir);
  expect(threadsBefore - threadsAfter, 'the reference run moved threads').toBeGreaterThan(100);
  finalPlace = destinationOf(report);
}, 300_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe(`migrate killed at random moments (${TRIALS} trials, ${THREADS} threads)`, () => {
  it('never loses a file and always resumes to the uninterrupted end state', async () => {
    let killedMidRun = 0;
    let progressKillsAfterTheEnd = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const dir = join(root, `trial-${trial}`);
      execFileSync('cp', ['-a', template, dir]);
      const child = runCli(dir);
      const exited = finish(child);
      // Odd trials: any moment of the whole run, by the clock. Even trials: once 10-90 % of
      // the threads have moved, the window that matters most.
      let when: string;
      if (trial % 2 === 0) {
        const share = 0.1 + Math.random() * 0.8;
        const target = Math.round(threadsBefore - share * (threadsBefore - threadsAfter));
        await threadsMovedDownTo(dir, target, child);
        when = `with ${target} of ${threadsBefore} thread entries left`;
      } else {
        const delay = Math.random() * uninterruptedMs;
        await new Promise((r) => setTimeout(r, delay));
        when = `at ${delay.toFixed(0)} ms`;
      }
      child.kill('SIGKILL');
      await exited;

      if (existsSync(join(dir, '.deer-flow-migration', 'journal.jsonl'))) killedMidRun++;
      else if (trial % 2 === 0) progressKillsAfterTheEnd++;
      const missing = originals.filter((p) => !existsSync(join(dir, p)) && !existsSync(join(dir, finalPlace(p))));
      expect(missing, `trial ${trial}: files missing right after the kill ${when}`).toEqual([]);

      const resumed = await finish(runCli(dir));
      expect(resumed.code, `trial ${trial}: resume exit code`).toBe(0);
      // Compared as text: deep equality of two 10,000-entry maps costs seconds per trial.
      const differences = diffSnapshots(snapshot(dir), reference);
      expect(differences, `trial ${trial}: end state after resume differs from the uninterrupted run`).toEqual([]);
      const reports = readdirSync(join(dir, '.deer-flow-migration')).filter((f) => f.startsWith('report-') && f.endsWith('.json'));
      const last = JSON.parse(readFileSync(join(dir, '.deer-flow-migration', reports.sort().at(-1) as string), 'utf8')) as MigrationReport;
      expect(last.ok).toBe(true);
      rmSync(dir, { recursive: true, force: true });
    }
    // The progress-timed kills must have hit the moves (10 % of them still to do leaves the CLI
    // far more time than a signal takes), or the test proved little about the dangerous window.
    expect(progressKillsAfterTheEnd, 'progress-timed kills that found the run already finished').toBeLessThanOrEqual(
      Math.floor(TRIALS / 10),
    );
    expect(killedMidRun).toBeGreaterThanOrEqual(Math.floor(TRIALS / 4));
    console.log(
      `crash-resume: ${TRIALS} trials, ${killedMidRun} killed while moving (${progressKillsAfterTheEnd} progress-timed kills too late); uninterrupted run ${uninterruptedMs} ms`,
    );
  }, 1_800_000);
});

describe(`migrate --undo killed at random moments (${UNDO_TRIALS} trials, ${THREADS} threads)`, () => {
  it('never loses a file and always resumes to the original tree', async () => {
    const original = snapshot(template);
    const destination = (p: string) => finalPlace(p);
    // One uninterrupted undo: how long it takes, and that it ends at the original tree.
    const firstDir = join(root, 'undo-reference');
    execFileSync('cp', ['-a', migratedDir, firstDir]);
    const started = Date.now();
    const first = await finish(runCli(firstDir, '--undo'));
    const undoMs = Date.now() - started;
    expect(first.code, first.stdout.slice(0, 400)).toBe(0);
    expect(diffSnapshots(snapshot(firstDir), original)).toEqual([]);
    rmSync(firstDir, { recursive: true, force: true });

    let killedMidUndo = 0;
    for (let trial = 0; trial < UNDO_TRIALS; trial++) {
      const dir = join(root, `undo-trial-${trial}`);
      execFileSync('cp', ['-a', migratedDir, dir]);
      const child = runCli(dir, '--undo');
      const exited = finish(child);
      let when: string;
      if (trial % 2 === 0) {
        // Once a random share of the threads is back in threads/.
        const share = 0.1 + Math.random() * 0.8;
        const target = Math.round(threadsAfter + share * (threadsBefore - threadsAfter));
        while (child.exitCode === null && child.signalCode === null && threadsIn(dir) < target) await new Promise((r) => setImmediate(r));
        when = `with ${target} of ${threadsBefore} thread entries back`;
      } else {
        const delay = Math.random() * undoMs;
        await new Promise((r) => setTimeout(r, delay));
        when = `at ${delay.toFixed(0)} ms`;
      }
      child.kill('SIGKILL');
      await exited;
      if (existsSync(join(dir, '.deer-flow-migration', 'undo-journal.jsonl'))) killedMidUndo++;
      const missing = originals.filter((p) => !existsSync(join(dir, p)) && !existsSync(join(dir, destination(p))));
      expect(missing, `undo trial ${trial}: files missing right after the kill ${when}`).toEqual([]);
      const resumed = await finish(runCli(dir, '--undo'));
      expect(
        resumed.code,
        `undo trial ${trial}, killed ${when}: resume exit code (${resumed.stdout.slice(0, 300)} ${resumed.stderr.slice(-600)})`,
      ).toBe(0);
      expect(diffSnapshots(snapshot(dir), original), `undo trial ${trial}: end state after resuming the undo`).toEqual([]);
      // And a further undo changes nothing.
      const again = await finish(runCli(dir, '--undo'));
      expect(JSON.parse(again.stdout)).toMatchObject({ outcome: 'nothing-to-undo' });
      rmSync(dir, { recursive: true, force: true });
    }
    expect(killedMidUndo, 'kills that landed while the undo was moving').toBeGreaterThanOrEqual(Math.floor(UNDO_TRIALS / 4));
    console.log(`crash-resume of undo: ${UNDO_TRIALS} trials, ${killedMidUndo} killed while moving back; uninterrupted undo ${undoMs} ms`);
  }, 1_800_000);
});
