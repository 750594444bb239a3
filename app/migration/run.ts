// One migration run, the same for the CLI and the desktop app: scan → plan → (dry run stops
// here) → guard → journal → execute → verify → report. A journal left by a killed run is
// resumed first.
import { join } from 'node:path';
import type { MigrationBackend } from './backend.js';
import { executePlan, type Journal, type MigrationReport, type Progress, readJournal, resumeJournal } from './execute.js';
import type { GuardResult } from './guard.js';
import { readOwnerMap } from './owners.js';
import { type Entry, type Plan, planMigration } from './plan.js';

export interface ScanResult {
  entries: Entry[];
  plan: Plan;
  /** An unfinished run's journal was found: running resumes it. */
  pendingJournal: { startedAt: string; steps: number; done: number } | undefined;
  /** That journal as read, handed to the resume. */
  journal: Journal | undefined;
}

/**
 * `ownerDb`: where deer-flow.db can be read locally — the base directory for the local
 * backend, or a fetched copy (PVC backend's fetchOwnerDb); undefined when there is none.
 */
export async function scanAndPlan(
  backend: MigrationBackend,
  userId: string,
  ownerDb?: { baseDir: string } | { file: string },
): Promise<ScanResult> {
  const entries = await backend.scan();
  const hasDb = entries.some((e) => e.path === 'deer-flow.db' && e.type === 'file');
  const dbPath = !hasDb || !ownerDb ? undefined : 'file' in ownerDb ? ownerDb.file : join(ownerDb.baseDir, 'deer-flow.db');
  const owners = readOwnerMap(dbPath);
  const plan = planMigration(entries, owners.owners, userId);
  if (owners.note && plan.totals.threads > 0) plan.warnings.unshift(owners.note);
  const journal = await readJournal(backend);
  return {
    entries,
    plan,
    journal: journal ?? undefined,
    pendingJournal: journal
      ? { startedAt: journal.header.startedAt, steps: journal.header.moves.length, done: journal.steps.size }
      : undefined,
  };
}

export type RunOutcome =
  | { kind: 'refused'; reason: string; guard?: GuardResult }
  | { kind: 'nothing-to-do' }
  | { kind: 'done'; report: MigrationReport };

export interface RunOptions {
  guard: () => Promise<GuardResult>;
  force: boolean;
  onProgress?: (p: Progress) => void;
}

/** Refuses while sandboxes run (or the cluster cannot be asked), unless forced. */
export async function checkGuard(
  opts: Pick<RunOptions, 'guard' | 'force'>,
): Promise<{ ok: true; note?: string } | { ok: false; reason: string; guard: GuardResult }> {
  const g = await opts.guard();
  if (g.state === 'clear') return { ok: true };
  if (g.state === 'busy') {
    const reason = `sandbox Pods are running and may be using this data: ${g.pods.join(', ')}. Delete them first, or run again with --force.`;
    return opts.force ? { ok: true, note: `forced while sandboxes run: ${g.pods.join(', ')}` } : { ok: false, reason, guard: g };
  }
  const reason = `cannot check for running sandboxes: ${g.message.replace(/\.$/, '')}. Make sure no sandbox uses this data, then run again with --force.`;
  return opts.force
    ? { ok: true, note: 'forced without checking for running sandboxes (cluster unreachable)' }
    : { ok: false, reason, guard: g };
}

export async function runMigration(backend: MigrationBackend, scan: ScanResult, opts: RunOptions): Promise<RunOutcome> {
  if (!scan.pendingJournal && scan.plan.moves.length === 0) return { kind: 'nothing-to-do' };
  const guard = await checkGuard(opts);
  if (!guard.ok) return { kind: 'refused', reason: guard.reason, guard: guard.guard };
  const report = scan.pendingJournal
    ? ((await resumeJournal(backend, opts.onProgress, scan.journal)) as MigrationReport)
    : await executePlan(backend, scan.plan, scan.entries, opts.onProgress);
  if (guard.note) report.warnings.unshift(guard.note);
  return { kind: 'done', report };
}
