// One migration run, the same for the CLI and the desktop app: scan → plan → (dry run stops
// here) → guard → journal → execute → verify → report. A journal left by a killed run is
// resumed first.

import { hostname } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../errors.js';
import { LinkOnTheWayError, type MigrationBackend } from './backend.js';
import {
  executePlan,
  JOURNAL_FILE,
  type Journal,
  JournalError,
  type MigrationReport,
  type Progress,
  readJournal,
  resumeJournal,
  type VerifyMode,
} from './execute.js';
import { checkGuard, type GuardResult } from './guard.js';
import { readOwnerMap } from './owners.js';
import { type Entry, JOURNAL_DIR, linkOnTheWay, type Plan, planMigration } from './plan.js';
import { pendingUndo, UNDO_JOURNAL_FILE, UndoUnavailableError } from './undo.js';

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
  const link = linkOnTheWay(entries, plan);
  if (link) throw new LinkOnTheWayError(backend.description, link);
  if (owners.note && plan.totals.threads > 0) plan.warnings.unshift(owners.note);
  // The scan lists the journal folder's files: a journal is read only when one is there.
  const listed = new Set(entries.map((e) => e.path));
  const undo = listed.has(UNDO_JOURNAL_FILE) ? await pendingUndo(backend) : undefined;
  if (undo)
    throw new UndoUnavailableError(
      `an undo of the migration started ${undo.of} is unfinished in ${backend.description}; run migrate --undo again to finish it, then migrate`,
    );
  const journal = listed.has(JOURNAL_FILE) ? await readJournal(backend) : undefined;
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
  /** 'content' also compares checksums taken before the moves (a resumed run keeps its mode). */
  verify?: VerifyMode;
}

export { checkGuard };

export async function runMigration(backend: MigrationBackend, scan: ScanResult, opts: RunOptions): Promise<RunOutcome> {
  if (!scan.pendingJournal && scan.plan.moves.length === 0) return { kind: 'nothing-to-do' };
  const guard = await checkGuard(opts);
  if (!guard.ok) return { kind: 'refused', reason: guard.reason, guard: guard.guard };
  let report: MigrationReport;
  try {
    report = scan.pendingJournal
      ? ((await resumeJournal(backend, opts.onProgress, scan.journal)) as MigrationReport)
      : await executePlan(backend, scan.plan, scan.entries, opts.onProgress, opts.verify);
  } catch (e) {
    // A resumed run that fails would fail the same way at every rerun: say so, and how out.
    if (scan.pendingJournal && !(e instanceof JournalError)) throw new JournalError(backend.description, (e as Error).message);
    throw e;
  }
  if (guard.note) report.warnings.unshift(guard.note);
  return { kind: 'done', report };
}

export const LOCK_FILE = `${JOURNAL_DIR}/lock`;

interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

/** A second migration of the same data while one runs: refused, naming the one that runs. */
export class MigrationLockedError extends AppError {
  constructor(base: string, holder: LockHolder | undefined) {
    const who = holder ? `process ${holder.pid} on ${holder.host}, since ${holder.startedAt}` : 'another process';
    super(
      'conflict',
      `another migration of ${base} is running (${who}); wait for it to finish and run again. If none is running, remove ${LOCK_FILE} in ${base}`,
    );
  }
}

function parseHolder(text: string | undefined): LockHolder | undefined {
  try {
    const h = JSON.parse(text ?? '') as LockHolder;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a lock's holder is certainly gone: a process of this machine that no longer runs. */
function holderIsGone(h: LockHolder): boolean {
  if (h.host !== hostname()) return false;
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Runs `fn` holding the base folder's migration lock (a file created exclusively inside it, so
 * it works for a local folder and a claim alike). A second run refuses and names the holder;
 * a lock left by a process of this machine that died is taken over (its journal resumes).
 */
export async function withMigrationLock<T>(backend: MigrationBackend, fn: () => Promise<T>): Promise<T> {
  await backend.checkBase(); // never create the lock's folder in a base that is not there
  const me: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; !(await backend.createExclusive(LOCK_FILE, JSON.stringify(me))); attempt++) {
    const holder = parseHolder(await backend.readText(LOCK_FILE));
    if (attempt > 0 || !holder || !holderIsGone(holder)) throw new MigrationLockedError(backend.description, holder);
    await backend.removeFile(LOCK_FILE);
  }
  try {
    return await fn();
  } finally {
    await backend.removeFile(LOCK_FILE).catch(() => undefined);
    // A run that changed nothing (refused, nothing to do) leaves no folder of its own behind.
    await backend.removeDirIfEmpty(JOURNAL_DIR);
  }
}
