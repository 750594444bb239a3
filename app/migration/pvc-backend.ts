// The migration backend for a PersistentVolumeClaim in the cluster: a short-lived helper Pod
// mounts the claim (working directory = the claim's root) and every operation is a POSIX
// shell script run through the API server's exec — batched, so thousands of threads take a
// few dozen round trips, not thousands. Scripts use only what both busybox and GNU
// coreutils offer (find, stat -c, mv, xargs -0, head -c, mktemp) and read standard input by length,
// never until end-of-input. The helper Pod is always deleted, also on failure.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { AppError } from '../errors.js';
import { isNotFound } from '../kube/errors.js';
import { execInPod } from '../kube/exec.js';
import { reasonOf } from '../sandbox/specs.js';
import { type FileStat, type MigrationBackend, MigrationSourceError, type Step, type StepOutcome } from './backend.js';
import type { Entry } from './plan.js';

export const DEFAULT_HELPER_IMAGE = 'busybox:1.36';
/** The DeerFlow base directory inside the claim (docs/migration.md). */
export const BASE_IN_CLAIM = 'deer-flow';
/** The exit code of a script whose input arrived short (see shWithInput). */
const SHORT_INPUT = 7;
/** Attempts at an exec whose input or answer arrived short, before giving up. */
const TRANSFER_ATTEMPTS = 3;
/** The last line of a read-only script's answer: without it, the answer was cut short. */
const END_OF_ANSWER = '__spd_end_of_answer__';
const PATHS_PER_EXEC = 5000;

export interface PvcBackendOptions {
  namespace: string;
  claim: string;
  image?: string;
  /** Name of the helper Pod (tests wire kwok's exec for it); random by default. */
  podName?: string;
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

/** Single-quotes a string for sh. */
export function shq(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

export function helperPod(opts: PvcBackendOptions & { podName: string }): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: opts.podName,
      namespace: opts.namespace,
      labels: { 'app.kubernetes.io/name': 'deer-flow', 'app.kubernetes.io/component': 'migration-helper' },
    },
    spec: {
      restartPolicy: 'Never',
      // A helper that outlives its run (the CLI was killed) ends by itself.
      activeDeadlineSeconds: 3600,
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: 'helper',
          image: opts.image ?? DEFAULT_HELPER_IMAGE,
          imagePullPolicy: 'IfNotPresent',
          command: ['sleep', '3600'],
          workingDir: '/data',
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
          securityContext: { allowPrivilegeEscalation: false },
          resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { cpu: '1', memory: '256Mi' } },
        },
      ],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: opts.claim } }],
    },
  };
}

/**
 * Classifies steps with shell builtins only (a fork per step would cost seconds per thousand):
 * M movable, A already done, V vanished, D two names of one file, B both exist.
 */
const CLASSIFY_FUNCTION = `
e() { [ -e "$1" ] || [ -L "$1" ]; }
c() {
  if e "$1"; then
    if e "$2"; then
      if [ ! -d "$1" ] && [ "$(stat -c %d:%i "$1")" = "$(stat -c %d:%i "$2")" ]; then echo D; else echo B; fi
    else echo M; fi
  elif e "$2"; then echo A; else echo V; fi
}`;

const posixDirname = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '.');
const posixBasename = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/**
 * The moving script for classified steps: one mkdir -p for all parent folders, then one mv
 * per group of items that keep their name and share a destination folder (most threads of a
 * user), a single mv for the others (renamed agents, conflicts).
 */
export function moveScript(movable: Step[], duplicates: Step[]): string {
  const lines = ['set -e'];
  const parents = [...new Set(movable.map((s) => posixDirname(s.to)))];
  for (let i = 0; i < parents.length; i += 200)
    lines.push(
      `mkdir -p -- ${parents
        .slice(i, i + 200)
        .map(shq)
        .join(' ')}`,
    );
  const groups = new Map<string, string[]>();
  for (const s of movable) {
    if (posixBasename(s.from) === posixBasename(s.to)) {
      const dir = posixDirname(s.to);
      groups.set(dir, [...(groups.get(dir) ?? []), s.from]);
    } else lines.push(`mv -- ${shq(s.from)} ${shq(s.to)}`);
  }
  for (const [dir, froms] of groups) {
    for (let i = 0; i < froms.length; i += 200)
      lines.push(
        `mv -- ${froms
          .slice(i, i + 200)
          .map(shq)
          .join(' ')} ${shq(dir)}/`,
      );
  }
  for (let i = 0; i < duplicates.length; i += 200)
    lines.push(
      `rm -f -- ${duplicates
        .slice(i, i + 200)
        .map((s) => shq(s.from))
        .join(' ')}`,
    );
  lines.push('echo OK');
  return lines.join('\n');
}

const OUTCOMES: Record<string, StepOutcome> = { M: 'moved', A: 'already', D: 'deduplicated', V: 'vanished', B: 'both-exist' };

function entryType(f: string): Entry['type'] {
  if (f === 'directory') return 'dir';
  if (f === 'symbolic link') return 'symlink';
  return 'file';
}

/** Entries from `stat -c '%F|%s|%n'` lines. */
function parseStatLines(stdout: string): Entry[] {
  const out: Entry[] = [];
  for (const line of stdout.split('\n')) {
    const a = line.indexOf('|');
    const b = line.indexOf('|', a + 1);
    if (a < 0 || b < 0) continue;
    const type = entryType(line.slice(0, a));
    out.push({ path: line.slice(b + 1), type, size: type === 'dir' ? 0 : Number(line.slice(a + 1, b)) });
  }
  return out;
}

export class PvcBackend implements MigrationBackend {
  readonly description: string;
  /** Steps per applySteps call: each call is two exec round trips whatever its size. */
  readonly stepBatch = 1000;
  /** Exec round trips made (the benchmark reports them). */
  roundTrips = 0;
  private readonly core: CoreV1Api;
  private readonly podName: string;
  private started = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly opts: PvcBackendOptions,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.podName = opts.podName ?? `deer-flow-migration-${randomBytes(3).toString('hex')}`;
    this.description = `pvc/${opts.claim} (namespace ${opts.namespace}), folder ${BASE_IN_CLAIM}/`;
  }

  /**
   * Creates the helper Pod and waits until it runs; explains why when it does not. `signal`
   * stops the wait (Cancel): the caller's stop() then removes the Pod.
   */
  async start(signal?: AbortSignal): Promise<void> {
    const log = this.opts.log ?? (() => {});
    // A claim that does not exist would leave the helper Pending until the deadline: ask first.
    try {
      await this.core.readNamespacedPersistentVolumeClaim({ namespace: this.opts.namespace, name: this.opts.claim });
    } catch (e) {
      if (isNotFound(e))
        throw new MigrationSourceError(
          `there is no PersistentVolumeClaim ${this.opts.claim} in namespace ${this.opts.namespace}; choose one of that namespace's claims (kubectl get pvc -n ${this.opts.namespace})`,
        );
      throw e;
    }
    log(`starting helper Pod ${this.podName} with claim ${this.opts.claim}`);
    await this.core.createNamespacedPod({ namespace: this.opts.namespace, body: helperPod({ ...this.opts, podName: this.podName }) });
    this.started = true;
    const deadline = Date.now() + (this.opts.readyTimeoutMs ?? 120_000);
    let last: V1Pod | undefined;
    while (Date.now() < deadline) {
      if (signal?.aborted) throw new AppError('conflict', `cancelled while the helper Pod ${this.podName} was starting; it is removed`);
      last = await this.core.readNamespacedPod({ namespace: this.opts.namespace, name: this.podName });
      if (last.status?.phase === 'Running') return;
      if (last.status?.phase === 'Failed' || last.status?.phase === 'Succeeded') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const why = reasonOf(last) ?? `phase ${last?.status?.phase ?? 'unknown'}`;
    throw new Error(
      `the helper Pod ${this.podName} did not start (${why}); check that claim ${this.opts.claim} exists in namespace ${this.opts.namespace} and image ${this.opts.image ?? DEFAULT_HELPER_IMAGE} can be pulled`,
    );
  }

  /** Deletes the helper Pod (safe to call twice, or after a failed start). */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.core
      .deleteNamespacedPod({ namespace: this.opts.namespace, name: this.podName, gracePeriodSeconds: 0 })
      .catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
  }

  /** Runs a script in B (the claim's deer-flow/ folder); exit 3 means B is missing. */
  private async sh(script: string, stdin?: string | Buffer): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    this.roundTrips++;
    const full = `cd ${shq(BASE_IN_CLAIM)} 2>/dev/null || exit 3\n${script}`;
    const r = await execInPod(this.kc, this.opts.namespace, this.podName, ['sh', '-c', full], {
      container: 'helper',
      stdin,
      timeoutMs: 300_000,
    });
    if (r.exitCode === 3)
      throw new MigrationSourceError(`claim ${this.opts.claim} has no ${BASE_IN_CLAIM}/ folder: nothing to migrate there`);
    return r;
  }

  /**
   * Runs `script` with `data` as the file "$in": read whole first, or exit 7. An exec's stdin
   * can arrive short (kwok's exec cuts it now and then; a dropped connection could), and a
   * script fed part of its paths or part of a journal would answer or write as if that were all.
   */
  private async shWithInput(script: string, data: Buffer): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    const prefix =
      `in=$(mktemp) || exit 1; trap 'rm -f "$in"' EXIT; head -c ${data.length} > "$in"; ` +
      `if [ "$(wc -c < "$in")" -ne ${data.length} ]; then exit ${SHORT_INPUT}; fi\n`;
    for (let attempt = 1; ; attempt++) {
      const r = await this.sh(prefix + script, data);
      if (r.exitCode !== SHORT_INPUT) return r;
      if (attempt >= TRANSFER_ATTEMPTS)
        throw new Error(`the helper Pod received only part of its input ${TRANSFER_ATTEMPTS} times; try again`);
    }
  }

  /**
   * A read-only script whose whole answer matters (listings, sizes, checksums): it ends with a
   * marker line, and an answer without it (cut short on the way back, as kwok's exec does now
   * and then) is asked again rather than read as "these files are missing". `script` sets its
   * exit code without `exit` (a subshell's `(exit 4)`), so that the marker is printed.
   */
  private async shRead(script: string, data?: Buffer): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    // The marker carries the script's exit code too, so that it does not rest on the exec's
    // status message alone.
    const marked = `${script}\nrc=$?; printf '\\n%s %d\\n' ${END_OF_ANSWER} "$rc"; exit $rc`;
    const tail = new RegExp(`\\n${END_OF_ANSWER} (\\d+)\\n$`);
    for (let attempt = 1; ; attempt++) {
      const r = data ? await this.shWithInput(marked, data) : await this.sh(marked);
      const end = tail.exec(r.stdout);
      if (end) return { ...r, stdout: r.stdout.slice(0, end.index), exitCode: Number(end[1]) };
      if (attempt >= TRANSFER_ATTEMPTS)
        throw new Error(`the helper Pod's answer was cut short ${TRANSFER_ATTEMPTS} times (exit ${r.exitCode}); try again`);
    }
  }

  async checkBase(): Promise<void> {
    await this.sh('true');
  }

  async scan(): Promise<Entry[]> {
    const fmt = "'%F|%s|%n'";
    const r = await this.shRead(
      [
        `for p in memory.json memory.legacy.json deer-flow.db .deer-flow-migration; do if [ -e "$p" ] || [ -L "$p" ]; then stat -c ${fmt} "$p"; fi; done`,
        `for p in threads agents skills/custom; do if [ -e "$p" ] || [ -L "$p" ]; then find "$p" -exec stat -c ${fmt} {} +; fi; done`,
        `if [ -d users ]; then find users -maxdepth 4 -exec stat -c ${fmt} {} +; fi`,
        `if [ -d migration-conflicts ]; then find migration-conflicts -maxdepth 2 -exec stat -c ${fmt} {} +; fi`,
        `if [ -d .deer-flow-migration ] && [ ! -L .deer-flow-migration ]; then find .deer-flow-migration -mindepth 1 -maxdepth 1 -exec stat -c ${fmt} {} +; fi`,
        'true',
      ].join('\n'),
    );
    if (r.exitCode !== 0) throw new Error(`scanning the claim failed: ${r.stderr.trim()}`);
    return parseStatLines(r.stdout).sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  }

  async stat(path: string): Promise<FileStat | undefined> {
    const r = await this.shRead(`stat -c '%F|%s|%d:%i' ${shq(path)} 2>/dev/null || true`);
    const [f, size, id] = r.stdout.trim().split('|');
    if (!f || size === undefined || id === undefined) return undefined;
    return { type: entryType(f), size: Number(size), id };
  }

  /** Two round trips for any number of steps: classify, then move. */
  async applySteps(steps: Step[]): Promise<StepOutcome[]> {
    if (steps.length === 0) return [];
    const classified = await this.sh(`${CLASSIFY_FUNCTION}\n${steps.map((s) => `c ${shq(s.from)} ${shq(s.to)}`).join('\n')}`);
    const letters = classified.stdout.split('\n').filter(Boolean);
    if (letters.length !== steps.length)
      throw new Error(`checking the claim failed: ${classified.stderr.trim() || `exit ${classified.exitCode}`}`);
    const movable = steps.filter((_, i) => letters[i] === 'M');
    const duplicates = steps.filter((_, i) => letters[i] === 'D');
    if (movable.length || duplicates.length) {
      const r = await this.sh(moveScript(movable, duplicates));
      if (r.exitCode !== 0 || !r.stdout.includes('OK'))
        throw new Error(`moving data in the claim failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
    }
    return letters.map((l) => (l === 'M' ? 'moved' : l === 'D' ? 'deduplicated' : (OUTCOMES[l] as StepOutcome)));
  }

  async listTree(paths: string[]): Promise<Entry[]> {
    const out: Entry[] = [];
    for (let i = 0; i < paths.length; i += PATHS_PER_EXEC) {
      const input = Buffer.from(paths.slice(i, i + PATHS_PER_EXEC).join('\0'));
      const each = `for p; do if [ -e "$p" ] || [ -L "$p" ]; then find "$p" -exec stat -c '%F|%s|%n' {} +; fi; done`;
      const r = await this.shRead(`xargs -0 sh -c ${shq(each)} _ < "$in"`, input);
      if (r.exitCode !== 0) throw new Error(`listing the claim failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
      out.push(...parseStatLines(r.stdout));
    }
    return out;
  }

  async makeDirs(paths: string[]): Promise<void> {
    if (paths.length === 0) return;
    const r = await this.sh(`mkdir -p -- ${paths.map(shq).join(' ')}`);
    if (r.exitCode !== 0) throw new Error(`creating folders in the claim failed: ${r.stderr.trim()}`);
  }

  async removeDirIfEmpty(path: string): Promise<boolean> {
    const r = await this.sh(`rmdir ${shq(path)} 2>/dev/null && echo removed || true`);
    return r.stdout.trim() === 'removed';
  }

  async sizes(paths: string[]): Promise<(number | undefined)[]> {
    const found = new Map<string, number>();
    for (let i = 0; i < paths.length; i += PATHS_PER_EXEC) {
      const input = Buffer.from(paths.slice(i, i + PATHS_PER_EXEC).join('\0'));
      const r = await this.shRead(`xargs -0 stat -c '%s|%n' < "$in" 2>/dev/null; true`, input);
      for (const line of r.stdout.split('\n')) {
        const bar = line.indexOf('|');
        if (bar > 0) found.set(line.slice(bar + 1), Number(line.slice(0, bar)));
      }
    }
    return paths.map((p) => found.get(p));
  }

  async checksums(paths: string[]): Promise<(string | undefined)[]> {
    const found = new Map<string, string>();
    for (let i = 0; i < paths.length; i += PATHS_PER_EXEC) {
      const input = Buffer.from(paths.slice(i, i + PATHS_PER_EXEC).join('\0'));
      // One line per path: "<hash> <path>". A link's hash is of "link:<target>" (printf
      // through sha256sum), never of what it points to. (`for p` took its list at the start:
      // `set --` inside only splits the hash from sha256sum's "-".)
      const each = [
        'for p; do',
        '  if [ -L "$p" ]; then set -- $(printf \'link:%s\' "$(readlink "$p")" | sha256sum); echo "$1 $p"',
        '  elif [ -f "$p" ]; then set -- $(sha256sum < "$p"); echo "$1 $p"; fi',
        'done',
      ].join('\n');
      const r = await this.shRead(`xargs -0 sh -c ${shq(each)} _ < "$in"`, input);
      if (r.exitCode !== 0) throw new Error(`computing checksums in the claim failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
      for (const line of r.stdout.split('\n')) {
        const sp = line.indexOf(' ');
        if (sp === 64) found.set(line.slice(65), line.slice(0, 64));
      }
    }
    return paths.map((p) => found.get(p));
  }

  async readText(path: string): Promise<string | undefined> {
    const r = await this.shRead(`cat ${shq(path)} 2>/dev/null || (exit 4)`);
    return r.exitCode === 0 ? r.stdout : undefined;
  }

  async writeTextAtomic(path: string, text: string): Promise<void> {
    const data = Buffer.from(text);
    const tmp = `${path}.tmp`;
    const r = await this.shWithInput(
      `mkdir -p "$(dirname ${shq(path)})" && cat "$in" > ${shq(tmp)} && sync && mv ${shq(tmp)} ${shq(path)}`,
      data,
    );
    if (r.exitCode !== 0) throw new Error(`writing ${path} in the claim failed: ${r.stderr.trim()}`);
  }

  async appendText(path: string, text: string): Promise<void> {
    const data = Buffer.from(text);
    const r = await this.shWithInput(`cat "$in" >> ${shq(path)}`, data);
    if (r.exitCode !== 0) throw new Error(`appending to ${path} in the claim failed: ${r.stderr.trim()}`);
  }

  async createExclusive(path: string, text: string): Promise<boolean> {
    const data = Buffer.from(text);
    // Made whole before it exists, as the local backend does: the input, read whole, is copied
    // to a file of this shell beside the lock (its pid is unique in the Pod), then hard-linked
    // into place, which fails when the path exists (a link included): exit 6.
    // Creating the path itself and writing it after left an empty lock when the run died
    // between the two, and an empty lock names no holder, so every later run refused.
    const p = shq(path);
    const r = await this.shWithInput(
      `mkdir -p "$(dirname ${p})" || exit 1; t=${p}.$$.tmp; ` +
        `if ! cat "$in" > "$t"; then rm -f "$t"; exit 1; fi; ` +
        `if ln "$t" ${p} 2>/dev/null; then rm -f "$t"; exit 0; fi; ` +
        `rm -f "$t"; if [ -e ${p} ] || [ -L ${p} ]; then exit 6; fi; echo "cannot link the lock into place" >&2; exit 1`,
      data,
    );
    if (r.exitCode === 6) return false;
    if (r.exitCode !== 0) throw new Error(`creating ${path} in the claim failed: ${r.stderr.trim()}`);
    return true;
  }

  async removeFile(path: string): Promise<void> {
    const r = await this.sh(`rm -f ${shq(path)}`);
    if (r.exitCode !== 0) throw new Error(`removing ${path} in the claim failed: ${r.stderr.trim()}`);
  }

  /** Copies deer-flow.db out of the claim (base64 through exec) to read the owner map locally. */
  async fetchOwnerDb(): Promise<{ path: string; cleanup: () => void } | undefined> {
    const r = await this.shRead('if [ -f deer-flow.db ]; then base64 deer-flow.db; else (exit 5); fi');
    if (r.exitCode !== 0) return undefined;
    const dir = mkdtempSync(join(tmpdir(), 'spd-owner-db-'));
    const path = join(dir, 'deer-flow.db');
    writeFileSync(path, Buffer.from(r.stdout.replace(/\s+/g, ''), 'base64'));
    return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }
}
