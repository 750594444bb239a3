// sandbox-provisioner migrate: moves legacy DeerFlow data into the per-user layout.
// Exit codes (EXIT, app/cli/exit-codes.ts): 0 done or nothing to do (notes may be printed); 3 done, but data
// was left that needs the user (an owner that is not a valid user id); 1 refused or failed;
// 2 bad usage. A dry run answers with the same codes for what a run would do.
import { resolve } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { loadConfig } from '../config/config.js';
import { loadKubeConfig, NoKubeconfigError } from '../kube/kubeconfig.js';
import type { MigrationBackend } from '../migration/backend.js';
import { formatPlan, formatReport, formatUndoReport } from '../migration/format.js';
import { checkNoSandboxesRunning, type DataTarget, type GuardResult } from '../migration/guard.js';
import { LocalBackend } from '../migration/local-backend.js';
import { isValidUserId, type LeftInPlace } from '../migration/plan.js';
import { PvcBackend } from '../migration/pvc-backend.js';
import { runMigration, scanAndPlan, withMigrationLock } from '../migration/run.js';
import { undoLastRun } from '../migration/undo.js';
import { EXIT, UsageError } from './exit-codes.js';
import { confirm } from './prompt.js';

export interface MigrateOptions {
  baseDir?: string;
  pvc?: string;
  namespace?: string;
  userId: string;
  dryRun?: boolean;
  json?: boolean;
  yes?: boolean;
  force?: boolean;
  /** sizes (default) or content: also compare checksums taken before the moves. */
  verify?: string;
  /** Put the last completed run back instead of migrating. */
  undo?: boolean;
  /** With --undo: also put back items changed since the migration (their changes go with them). */
  withChanges?: boolean;
}

/** What migrate's exit status means, for scripts (`migrate && …` goes on when data was moved). */

const targetOf = (opts: MigrateOptions): DataTarget =>
  opts.pvc ? { kind: 'pvc', claim: opts.pvc } : { kind: 'local', baseDir: resolve(opts.baseDir as string) };

/** 3 when something was left that only the user can sort out, else 0. */
const exitForLeft = (left: LeftInPlace[]) => (left.some((l) => l.needsUser) ? EXIT.needsYou : EXIT.ok);

async function guardFromEnvironment(namespace: string | undefined, target: DataTarget): Promise<GuardResult> {
  let config: ReturnType<typeof loadConfig> | undefined;
  try {
    config = loadConfig(process.env);
    const { kc } = loadKubeConfig(config);
    const server = kc.getCurrentCluster()?.server ?? '(unknown)';
    return await checkNoSandboxesRunning(kc.makeApiClient(CoreV1Api), namespace ?? config.namespace, server, target);
  } catch (e) {
    // No kubeconfig at all (none named, none at the usual places): there is no cluster whose
    // sandboxes could use the data. One named that is missing is a mistake to point out.
    if (e instanceof NoKubeconfigError && !config?.kubeconfigPath)
      return { state: 'clear', note: 'no kubeconfig on this machine, so no cluster to check for running sandboxes' };
    return { state: 'unreachable', message: (e as Error).message };
  }
}

export async function migrateCommand(opts: MigrateOptions): Promise<number> {
  if (!opts.baseDir === !opts.pvc) throw new UsageError('give exactly one of --base-dir DIR or --pvc CLAIM');
  if (opts.withChanges && !opts.undo) throw new UsageError('--with-changes goes with --undo');
  if (opts.verify !== undefined && opts.verify !== 'sizes' && opts.verify !== 'content')
    throw new UsageError(`--verify ${JSON.stringify(opts.verify)} is not a mode: use sizes or content`);
  if (opts.undo && opts.dryRun) throw new UsageError('--undo has no dry run: it names what it leaves, and a second undo changes nothing');
  if (!isValidUserId(opts.userId))
    throw new UsageError(`--user-id ${JSON.stringify(opts.userId)} is not valid: use letters, digits, "_" and "-"`);
  const err = (s: string) => process.stderr.write(`${s}\n`);
  if (opts.baseDir) return migrateWith(new LocalBackend(opts.baseDir), { baseDir: opts.baseDir }, opts);

  // --pvc: a helper Pod in the cluster, removed whatever happens (also on Ctrl-C).
  let backend: PvcBackend;
  try {
    const config = loadConfig(process.env);
    const { kc } = loadKubeConfig(config);
    backend = new PvcBackend(kc, {
      namespace: opts.namespace ?? config.namespace,
      claim: opts.pvc as string,
      image: process.env.MIGRATION_HELPER_IMAGE,
      log: err,
    });
  } catch (e) {
    err(`migrate: ${(e as Error).message}`);
    return EXIT.failed;
  }
  const interrupt = () => {
    void backend.stop().finally(() => process.exit(EXIT.interrupted));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  let db: Awaited<ReturnType<PvcBackend['fetchOwnerDb']>>;
  try {
    await backend.start();
    db = await backend.fetchOwnerDb();
    return await migrateWith(backend, db ? { file: db.path } : undefined, opts);
  } catch (e) {
    err(`migrate: ${(e as Error).message}`);
    return EXIT.failed;
  } finally {
    db?.cleanup();
    await backend.stop().catch((e: Error) => err(`could not delete the helper Pod: ${e.message}`));
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

async function migrateWith(
  backend: MigrationBackend,
  ownerDb: { baseDir: string } | { file: string } | undefined,
  opts: MigrateOptions,
): Promise<number> {
  const err = (s: string) => process.stderr.write(`${s}\n`);
  try {
    return opts.undo ? await undo(backend, opts) : await scanAndRun(backend, ownerDb, opts);
  } catch (e) {
    // Refusals (a link on the way, a second run, a journal that cannot be replayed) and
    // failures end here, as one line that says what to do; nothing half-done is left unsaid.
    err(`migrate: ${(e as Error).message}`);
    return EXIT.failed;
  }
}

/** --undo: the last completed run put back, under the same lock and guard as a run. */
async function undo(backend: MigrationBackend, opts: MigrateOptions): Promise<number> {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const err = (s: string) => process.stderr.write(`${s}\n`);
  if (!opts.yes && !(await confirm('Put the last migration back? [y/N] '))) {
    err(process.stdin.isTTY ? 'Nothing was changed.' : 'Nothing was changed: run with --yes to undo without asking.');
    return EXIT.failed;
  }
  let lastLine = 0;
  const outcome = await withMigrationLock(backend, () =>
    undoLastRun(backend, {
      force: Boolean(opts.force),
      withChanges: Boolean(opts.withChanges),
      guard: () => guardFromEnvironment(opts.namespace, targetOf(opts)),
      onProgress: (p) => {
        if (Date.now() - lastLine > 1000 || p.done === p.total) {
          lastLine = Date.now();
          err(`  ${p.done}/${p.total} put back`);
        }
      },
    }),
  );
  if (outcome.kind === 'refused') {
    if (opts.json) out(JSON.stringify({ outcome: 'refused', reason: outcome.reason }, null, 2));
    err(`Refused: ${outcome.reason}`);
    return EXIT.failed;
  }
  if (outcome.kind === 'nothing-to-undo') {
    if (opts.json) out(JSON.stringify({ outcome: 'nothing-to-undo', reason: outcome.reason }, null, 2));
    else err(`Nothing to undo: ${outcome.reason}.`);
    return EXIT.ok;
  }
  const { report, reportFile } = outcome;
  out(opts.json ? JSON.stringify({ outcome: 'undone', report, reportFile }, null, 2) : formatUndoReport(report, reportFile));
  if (!report.ok) return EXIT.failed;
  // Items left where the migration put them (changed since, or their old place taken): the
  // user decides about those.
  return report.left.length ? EXIT.needsYou : EXIT.ok;
}

async function scanAndRun(
  backend: MigrationBackend,
  ownerDb: { baseDir: string } | { file: string } | undefined,
  opts: MigrateOptions,
): Promise<number> {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const err = (s: string) => process.stderr.write(`${s}\n`);
  let scan: Awaited<ReturnType<typeof scanAndPlan>>;
  try {
    scan = await scanAndPlan(backend, opts.userId, ownerDb);
  } catch (e) {
    err(`migrate: ${(e as Error).message}`);
    return EXIT.failed;
  }
  if (opts.dryRun) {
    out(
      opts.json
        ? JSON.stringify({ plan: scan.plan, pendingJournal: scan.pendingJournal ?? null }, null, 2)
        : formatPlan(scan.plan, backend.description),
    );
    if (scan.pendingJournal && !opts.json) out(`An unfinished run (started ${scan.pendingJournal.startedAt}) will be resumed first.`);
    return exitForLeft(scan.plan.leftInPlace);
  }
  if (!opts.json) {
    err(formatPlan(scan.plan, backend.description));
    if (scan.pendingJournal)
      err(
        `Resuming the unfinished run started ${scan.pendingJournal.startedAt} (${scan.pendingJournal.done}/${scan.pendingJournal.steps} steps recorded).`,
      );
  }
  if (!scan.pendingJournal && scan.plan.moves.length === 0) {
    if (opts.json) out(JSON.stringify({ outcome: 'nothing-to-do', plan: scan.plan }, null, 2));
    return exitForLeft(scan.plan.leftInPlace);
  }
  if (!opts.yes && !(await confirm('Move the data as planned? [y/N] '))) {
    err(process.stdin.isTTY ? 'Nothing was changed.' : 'Nothing was changed: run with --yes to migrate without asking.');
    return EXIT.failed;
  }

  let lastLine = 0;
  // The run holds the base folder's lock and plans again under it: what was shown may have been
  // changed by another run meanwhile (a dry run or a question takes no lock: they write nothing).
  const outcome = await withMigrationLock(backend, async () =>
    runMigration(backend, await scanAndPlan(backend, opts.userId, ownerDb), {
      force: Boolean(opts.force),
      verify: opts.verify === 'content' ? 'content' : 'sizes',
      guard: () => guardFromEnvironment(opts.namespace, targetOf(opts)),
      onProgress: (p) => {
        if (Date.now() - lastLine > 1000 || p.done === p.total) {
          lastLine = Date.now();
          err(`  ${p.done}/${p.total} moved`);
        }
      },
    }),
  );
  if (outcome.kind === 'refused') {
    if (opts.json) out(JSON.stringify({ outcome: 'refused', reason: outcome.reason }, null, 2));
    err(`Refused: ${outcome.reason}`);
    return EXIT.failed;
  }
  if (outcome.kind === 'nothing-to-do') return EXIT.ok;
  out(opts.json ? JSON.stringify({ outcome: 'done', report: outcome.report }, null, 2) : formatReport(outcome.report));
  return outcome.report.ok ? exitForLeft(outcome.report.leftInPlace) : EXIT.failed;
}
