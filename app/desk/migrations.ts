// Migrations started from the UI: a scan that returns the plan with the running-sandboxes
// guard's verdict, and a run as a job (progress, report saved beside the data). The same
// planner, executor and journal as `sandbox-provisioner migrate`; a PVC is reached through
// a helper Pod that is removed afterwards.
import { lstatSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { MigrationBackend } from '../migration/backend.js';
import { reportPathOf, type VerifyMode } from '../migration/execute.js';
import type { DataTarget, GuardResult } from '../migration/guard.js';
import { LocalBackend } from '../migration/local-backend.js';
import { isValidUserId } from '../migration/plan.js';
import { PvcBackend } from '../migration/pvc-backend.js';
import { checkGuard, runMigration, scanAndPlan, withMigrationLock } from '../migration/run.js';
import { undoLastRun } from '../migration/undo.js';
import { ValidationError } from '../sandbox/provisioner.js';
import type { JobView, MigrationScanView, MigrationSource } from './contract.js';
import type { JobRegistry } from './jobs.js';

export interface MigrationRequest {
  source: MigrationSource;
  userId: string;
  force?: boolean;
  verify?: VerifyMode;
}

export interface UndoRequest {
  source: MigrationSource;
  withChanges?: boolean;
  force?: boolean;
}

export interface DeskMigrationDeps {
  jobs: JobRegistry;
  /** The cluster in use (PVC sources); throws when there is none. */
  kubeConfig: () => KubeConfig;
  namespace: () => string;
  guard: (target: DataTarget) => Promise<GuardResult>;
  log: (line: string) => void;
}

type OwnerDb = { baseDir: string } | { file: string } | undefined;

export class DeskMigrations {
  constructor(private readonly deps: DeskMigrationDeps) {}

  private check(body: { source: MigrationSource; userId?: string }): void {
    if (body.userId !== undefined && !isValidUserId(body.userId))
      throw new ValidationError('userId', 'must be letters, digits, "_" and "-"');
    if (body.source.kind === 'local') {
      const problem = baseDirProblem(body.source.baseDir);
      if (problem) throw new ValidationError('source', problem);
    }
  }

  /** Runs `fn` with the source's backend (a PVC's helper Pod is removed afterwards). */
  private async withBackend<T>(
    source: MigrationSource,
    fn: (b: MigrationBackend, ownerDb: OwnerDb) => Promise<T>,
    log: (line: string) => void,
    signal?: AbortSignal,
  ): Promise<T> {
    if (source.kind === 'local') return fn(new LocalBackend(source.baseDir), { baseDir: source.baseDir });
    const backend = new PvcBackend(this.deps.kubeConfig(), { namespace: this.deps.namespace(), claim: source.claim, log });
    let db: Awaited<ReturnType<PvcBackend['fetchOwnerDb']>>;
    try {
      // Inside the try: a start that fails half-way (the Pod made, never Running) is cleaned up too.
      await backend.start(signal);
      db = await backend.fetchOwnerDb().catch(() => undefined);
      return await fn(backend, db ? { file: db.path } : undefined);
    } finally {
      db?.cleanup();
      await backend.stop().catch((e: Error) => log(`could not delete the helper Pod: ${e.message}`));
    }
  }

  /** `signal`: Cancel — a PVC scan stops waiting for its helper Pod, which is removed. */
  async scan(body: MigrationRequest, signal?: AbortSignal): Promise<MigrationScanView> {
    this.check(body);
    return this.withBackend(
      body.source,
      async (backend, ownerDb) => {
        const scan = await scanAndPlan(backend, body.userId, ownerDb);
        const guard = await checkGuard({ guard: () => this.deps.guard(targetOf(body.source)), force: Boolean(body.force) });
        return {
          plan: scan.plan,
          pendingJournal: scan.pendingJournal,
          guard: guard.ok ? { ok: true, ...(guard.note ? { note: guard.note } : {}) } : { ok: false, reason: guard.reason },
        };
      },
      this.deps.log,
      signal,
    );
  }

  /**
   * Starts the run as a job. It cannot be cancelled half-way (the journal would resume it
   * anyway): the job offers no Cancel.
   */
  run(body: MigrationRequest): JobView {
    this.check(body);
    const where = body.source.kind === 'local' ? body.source.baseDir : `PVC ${body.source.claim}`;
    return this.deps.jobs.start(
      'migration',
      `Migrate ${where} → user ${body.userId}`,
      (ctx) =>
        this.withBackend(
          body.source,
          async (backend, ownerDb) => {
            ctx.line(`scanning ${where}`);
            const outcome = await withMigrationLock(backend, async () =>
              runMigration(backend, await scanAndPlan(backend, body.userId, ownerDb), {
                force: Boolean(body.force),
                verify: body.verify ?? 'sizes',
                guard: () => this.deps.guard(targetOf(body.source)),
                onProgress: (p) => ctx.progress(p.done, p.total),
              }),
            );
            if (outcome.kind === 'refused') throw new Error(outcome.reason);
            if (outcome.kind === 'nothing-to-do') {
              ctx.line('nothing to migrate: the data is in the per-user layout already');
              return { nothingToDo: true as const };
            }
            const rel = reportPathOf(outcome.report.startedAt);
            const reportFile = body.source.kind === 'local' ? join(body.source.baseDir, rel) : `${rel} in the claim`;
            ctx.line(`done: ${outcome.report.moved.length} moved, ${outcome.report.conflicts.length} conflict(s); report ${reportFile}`);
            return { report: outcome.report, reportFile };
          },
          ctx.line,
        ),
      { cancellable: false },
    );
  }

  /** Puts the last completed run of the source back, as a job (as `migrate --undo`). */
  undo(body: UndoRequest): JobView {
    this.check(body);
    const where = body.source.kind === 'local' ? body.source.baseDir : `PVC ${body.source.claim}`;
    return this.deps.jobs.start(
      'migration-undo',
      `Undo the last migration of ${where}`,
      (ctx) =>
        this.withBackend(
          body.source,
          async (backend) => {
            const outcome = await withMigrationLock(backend, () =>
              undoLastRun(backend, {
                force: Boolean(body.force),
                withChanges: Boolean(body.withChanges),
                guard: () => this.deps.guard(targetOf(body.source)),
                onProgress: (p) => ctx.progress(p.done, p.total),
              }),
            );
            if (outcome.kind === 'refused') throw new Error(outcome.reason);
            if (outcome.kind === 'nothing-to-undo') {
              ctx.line(`nothing to undo: ${outcome.reason}`);
              return { nothingToUndo: outcome.reason };
            }
            const reportFile =
              body.source.kind === 'local' ? join(body.source.baseDir, outcome.reportFile) : `${outcome.reportFile} in the claim`;
            ctx.line(`done: ${outcome.report.restored.length} put back, ${outcome.report.left.length} left; report ${reportFile}`);
            return { report: outcome.report, reportFile };
          },
          ctx.line,
        ),
      { cancellable: false },
    );
  }
}

const targetOf = (source: MigrationSource): DataTarget =>
  source.kind === 'local' ? { kind: 'local', baseDir: source.baseDir } : { kind: 'pvc', claim: source.claim };

/** Why a local base folder cannot be migrated, before anything is read there. */
function baseDirProblem(dir: string): string | undefined {
  if (!isAbsolute(dir)) return `${dir} is not an absolute path`;
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (!st) return `${dir} does not exist`;
  if (st.isSymbolicLink()) return `${dir} is a symbolic link; choose the folder it points to (the migration never follows links)`;
  if (!st.isDirectory()) return `${dir} is not a folder`;
  return undefined;
}
