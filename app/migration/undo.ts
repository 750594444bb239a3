// Undo: puts the last completed migration run back, from its archived journal — every moved
// item returns to its legacy place (conflict copies and memory.json included), the legacy
// folders the run removed come back, the per-user folders it made go when left empty.
// What changed since the run (files added, removed or resized under a moved item) is left
// where it is and named, unless asked to (--with-changes); a legacy place taken since is never replaced. The
// undo keeps its own journal, so a killed undo resumes to the same end, and records itself in
// the last-run file, so a second undo changes nothing. docs/migration.md "Undo".
import { AppError } from '../errors.js';
import { type MigrationBackend, moveOne } from './backend.js';
import type { Progress } from './execute.js';
import {
  JOURNAL_FILE,
  JournalError,
  type JournalHeader,
  type JournalStep,
  LAST_RUN_FILE,
  type LastRun,
  readJournal,
  type Verification,
  verificationOk,
  verifyFiles,
} from './execute.js';
import { checkGuard, type GuardResult } from './guard.js';
import { type Entry, JOURNAL_DIR, type MoveKind } from './plan.js';

export const UNDO_JOURNAL_FILE = `${JOURNAL_DIR}/undo-journal.jsonl`;
const MAX_CHANGES_NAMED = 20;

/** One item going back: from where the run put it to its legacy place. */
export interface UndoStep {
  kind: MoveKind;
  owner: string;
  /** Where the item is now (the run's destination). */
  from: string;
  /** Its legacy place. */
  to: string;
  /** The files expected under it (relative; '' for the item itself) and their sizes. */
  expect: [string, number][];
  /** Their checksums before the run, when it kept them (--verify content) and nothing changed. */
  sums?: (string | undefined)[];
  /** Changes since the run that an undo --with-changes carries back with it. */
  changes?: string[];
}

/** An item the undo does not put back, and why. */
export interface UndoLeft {
  path: string;
  /** Its legacy place. */
  legacy: string;
  reason: string;
  /** Paths under it that changed since the run (first ones; `changeCount` says how many). */
  changes: string[];
  changeCount: number;
  /** Removed (or moved away) since the migration: nothing to put back. */
  gone?: true;
}

interface UndoHeader {
  type: 'undo';
  version: 1;
  startedAt: string;
  /** The run being undone (its startedAt). */
  of: string;
  base: string;
  /** Changed items were moved back too (--with-changes). */
  withChanges: boolean;
  steps: UndoStep[];
  left: UndoLeft[];
  /** Legacy folders the run removed as empty: made again. */
  recreateDirs: string[];
  /** Folders the run made: removed when the undo leaves them empty. */
  removeIfEmpty: string[];
}

export interface UndoReport {
  base: string;
  /** The run that was undone. */
  of: string;
  startedAt: string;
  finishedAt: string;
  resumed: boolean;
  withChanges: boolean;
  restored: { kind: MoveKind; from: string; to: string; owner: string }[];
  left: UndoLeft[];
  warnings: string[];
  removedDirs: string[];
  verification: Verification;
  /** Every thread of the undone run, looked for on disk: back in threads/, or still where the run put it. */
  threads: { total: number; back: number; left: number; goneSince: number; unaccounted: string[] };
  ok: boolean;
}

export type UndoOutcome =
  | { kind: 'nothing-to-undo'; reason: string }
  | { kind: 'refused'; reason: string }
  | { kind: 'done'; report: UndoReport; reportFile: string };

export interface UndoOptions {
  guard: () => Promise<GuardResult>;
  /** Goes ahead while sandboxes run or the cluster cannot be asked (as a run's --force). */
  force: boolean;
  /** Also moves back items that changed since the run (their changes go with them). */
  withChanges?: boolean;
  onProgress?: (p: Progress) => void;
}

/** Undo cannot start: no run to take back, or a migration run is unfinished. */
export class UndoUnavailableError extends AppError {
  constructor(message: string) {
    super('conflict', message);
  }
}

export function undoReportPathOf(startedAt: string): string {
  return `${JOURNAL_DIR}/undo-report-${startedAt.replace(/[:.]/g, '-')}.json`;
}

/**
 * How a moved item differs from what the run moved: files added, removed or resized under it
 * (folders are not compared: an added empty folder travels back with its item, losing nothing).
 */
export function changesOf(at: string, expected: [string, number][], now: Entry[], edited: ReadonlySet<string> = new Set()): string[] {
  const want = new Map(expected);
  const have = new Map<string, number>();
  for (const e of now) if (e.type !== 'dir') have.set(e.path === at ? '' : e.path.slice(at.length + 1), e.size);
  const full = (rel: string) => (rel ? `${at}/${rel}` : at);
  const out: string[] = [];
  for (const [rel, size] of have) {
    const before = want.get(rel);
    if (before === undefined) out.push(`${full(rel)} (new)`);
    else if (before !== size) out.push(`${full(rel)} (${before} bytes then, ${size} now)`);
    else if (edited.has(full(rel))) out.push(`${full(rel)} (edited: same size, other contents)`);
  }
  for (const rel of want.keys()) if (!have.has(rel)) out.push(`${full(rel)} (removed)`);
  return out.sort();
}

/**
 * Pure: the undo of a completed run, from its journal and the entries now at its destinations.
 * An item that is gone is left (nothing to put back); one that changed is left unless
 * `withChanges`.
 */
export function planUndo(
  header: JournalHeader,
  done: Map<number, JournalStep>,
  now: Entry[],
  withChanges: boolean,
  /** Files whose contents differ from the run's checksums (runs made with --verify content). */
  edited: ReadonlySet<string> = new Set(),
): { steps: UndoStep[]; left: UndoLeft[] } {
  const tos = header.moves.map((m, i) => done.get(i)?.to ?? m.to);
  const under = groupUnder(now, new Set([...tos, ...header.moves.map((m) => m.from)]));
  const steps: UndoStep[] = [];
  const left: UndoLeft[] = [];
  for (const [i, m] of header.moves.entries()) {
    const at = tos[i] as string;
    const entries = under.get(at) ?? [];
    const atLegacy = under.get(m.from) ?? [];
    const leave = (reason: string, changes: string[], gone = false) => {
      const l: UndoLeft = { path: at, legacy: m.from, reason, changes: changes.slice(0, MAX_CHANGES_NAMED), changeCount: changes.length };
      if (gone) l.gone = true;
      left.push(l);
    };
    if (!entries.some((e) => e.path === at)) {
      // Back already (an earlier undo that left other items): judged "already" when applied.
      if (atLegacy.some((e) => e.path === m.from))
        steps.push({ kind: m.kind, owner: m.owner, from: at, to: m.from, expect: filesOf(m.from, atLegacy) });
      else leave('it is no longer there (removed or moved since the migration)', [], true);
      continue;
    }
    const changes = changesOf(at, header.manifest[i] ?? [], entries, edited);
    if (changes.length && !withChanges) {
      leave(
        `${changes.length} path(s) under it changed since the migration; left where it is (to move it back with them: --with-changes, or "Put the changed items back too" in the app)`,
        changes,
      );
      continue;
    }
    const step: UndoStep = { kind: m.kind, owner: m.owner, from: at, to: m.from, expect: filesOf(at, entries) };
    if (changes.length) step.changes = changes.slice(0, MAX_CHANGES_NAMED);
    // Unchanged, from a run with checksums: verified back to the byte.
    const sums = header.checksums?.[i];
    if (sums && !changes.length) {
      const byRel = new Map((header.manifest[i] ?? []).map(([rel], j) => [rel, sums[j]]));
      step.sums = step.expect.map(([rel]) => byRel.get(rel));
    }
    steps.push(step);
  }
  return { steps, left };
}

/** Entries grouped by the root (of `roots`) they are at or under. */
function groupUnder(entries: Entry[], roots: Set<string>): Map<string, Entry[]> {
  const out = new Map<string, Entry[]>();
  for (const e of entries) {
    for (let p = e.path; ; ) {
      if (roots.has(p)) {
        out.set(p, [...(out.get(p) ?? []), e]);
        break;
      }
      const cut = p.lastIndexOf('/');
      if (cut < 0) break;
      p = p.slice(0, cut);
    }
  }
  return out;
}

/** The files (and links) of an item at `at`, relative to it ('' for the item itself), with sizes. */
function filesOf(at: string, entries: Entry[]): [string, number][] {
  return entries.filter((e) => e.type !== 'dir').map((e) => [e.path === at ? '' : e.path.slice(at.length + 1), e.size]);
}

/**
 * Each thread of the run, looked for where the undo says it is: back at its legacy place, or
 * (left) still where the run put it. One at neither is unaccounted, and the undo not ok.
 */
async function accountUndoneThreads(backend: MigrationBackend, steps: UndoStep[], left: UndoLeft[]): Promise<UndoReport['threads']> {
  const leftPaths = new Set(left.map((l) => l.path));
  const back = steps.filter((s) => s.kind === 'thread' && !leftPaths.has(s.from));
  const stayed = left.filter((l) => l.legacy.startsWith('threads/') && !l.gone);
  const goneSince = left.filter((l) => l.legacy.startsWith('threads/') && l.gone).length;
  const found = await backend.sizes([...back.map((s) => s.to), ...stayed.map((l) => l.path)]);
  const isHere = (i: number) => found[i] !== undefined;
  const id = (legacy: string) => legacy.slice('threads/'.length);
  const unaccounted = [
    ...back.filter((_, i) => !isHere(i)).map((s) => id(s.to)),
    ...stayed.filter((_, i) => !isHere(back.length + i)).map((l) => id(l.legacy)),
  ];
  return {
    total: back.length + stayed.length + goneSince,
    back: back.filter((_, i) => isHere(i)).length,
    left: stayed.filter((_, i) => isHere(back.length + i)).length,
    goneSince,
    unaccounted,
  };
}

/**
 * Files under the run's destinations whose contents differ from the checksums the run kept
 * (only runs made with --verify content keep them): same-size edits, which sizes cannot show.
 */
async function editedSince(
  backend: MigrationBackend,
  header: JournalHeader,
  done: Map<number, JournalStep>,
  now: Entry[],
): Promise<Set<string>> {
  const edited = new Set<string>();
  if (!header.checksums) return edited;
  const present = new Map(now.filter((e) => e.type !== 'dir').map((e) => [e.path, e.size]));
  const paths: string[] = [];
  const before: (string | undefined)[] = [];
  header.moves.forEach((m, i) => {
    const at = done.get(i)?.to ?? m.to;
    (header.manifest[i] ?? []).forEach(([rel, size], j) => {
      const path = rel ? `${at}/${rel}` : at;
      if (present.get(path) !== size) return; // missing or resized: changesOf names it already
      paths.push(path);
      before.push(header.checksums?.[i]?.[j]);
    });
  });
  const sums = await backend.checksums(paths);
  sums.forEach((sum, k) => {
    if (before[k] !== undefined && sum !== before[k]) edited.add(paths[k] as string);
  });
  return edited;
}

async function readLastRun(backend: MigrationBackend): Promise<LastRun | undefined> {
  const text = await backend.readText(LAST_RUN_FILE);
  if (!text) return undefined;
  try {
    const last = JSON.parse(text) as LastRun;
    if (typeof last.startedAt === 'string' && typeof last.journal === 'string') return last;
  } catch {
    // reported below
  }
  throw new UndoUnavailableError(
    `${backend.description}/${LAST_RUN_FILE} cannot be read; nothing was changed. Its run's journal and report are in ${JOURNAL_DIR}/ (journal-<time>.jsonl): put the file back, or move the data by hand`,
  );
}

async function readUndoJournal(backend: MigrationBackend): Promise<{ header: UndoHeader; done: Set<number> } | undefined> {
  const text = await backend.readText(UNDO_JOURNAL_FILE);
  if (!text) return undefined;
  const lines = text.split('\n').filter(Boolean);
  let header: UndoHeader;
  try {
    header = JSON.parse(lines[0] ?? '{}') as UndoHeader;
  } catch (e) {
    throw new JournalError(backend.description, `the undo journal's first line is not valid JSON (${(e as Error).message})`);
  }
  if (header.type !== 'undo' || header.version !== 1 || !Array.isArray(header.steps))
    throw new JournalError(backend.description, 'its undo journal is not one this version understands');
  const done = new Set<number>();
  for (const line of lines.slice(1)) {
    try {
      const s = JSON.parse(line) as { k?: unknown };
      if (typeof s.k === 'number') done.add(s.k);
    } catch {
      // cut short by a crash: that step is judged again from the disk
    }
  }
  return { header, done };
}

/** Whether an undo was started and not finished (a new run must not start until it is). */
export async function pendingUndo(backend: MigrationBackend): Promise<{ of: string; startedAt: string } | undefined> {
  const j = await readUndoJournal(backend);
  return j && { of: j.header.of, startedAt: j.header.startedAt };
}

/**
 * Takes back the last completed run (or finishes an undo that was cut short). Call it
 * holding the migration lock (withMigrationLock), as a run does.
 */
export async function undoLastRun(backend: MigrationBackend, opts: UndoOptions): Promise<UndoOutcome> {
  const pending = await readUndoJournal(backend);
  if (!pending && (await backend.readText(JOURNAL_FILE)) !== undefined)
    throw new UndoUnavailableError(
      `a migration of ${backend.description} is unfinished; nothing was undone. Run migrate again to finish it (it resumes), then undo`,
    );
  const last = await readLastRun(backend);
  if (!pending) {
    if (!last) return { kind: 'nothing-to-undo', reason: `no completed migration is recorded in ${backend.description}` };
    if (last.undoneAt)
      return {
        kind: 'nothing-to-undo',
        reason: `the last migration (started ${last.startedAt}) was undone already, at ${last.undoneAt}; nothing was changed`,
      };
  }
  const guard = await checkGuard(opts);
  if (!guard.ok) return { kind: 'refused', reason: guard.reason };

  let header: UndoHeader;
  let done: Set<number>;
  if (pending) ({ header, done } = pending);
  else {
    const run = await readJournal(backend, (last as LastRun).journal);
    if (!run)
      throw new UndoUnavailableError(
        `the journal of the last migration, ${(last as LastRun).journal}, is missing from ${backend.description}; nothing was undone`,
      );
    const now = await backend.listTree(run.header.moves.flatMap((m, i) => [run.steps.get(i)?.to ?? m.to, m.from]));
    const { steps, left } = planUndo(
      run.header,
      run.steps,
      now,
      Boolean(opts.withChanges),
      await editedSince(backend, run.header, run.steps, now),
    );
    header = {
      type: 'undo',
      version: 1,
      startedAt: new Date().toISOString(),
      of: run.header.startedAt,
      base: backend.description,
      withChanges: Boolean(opts.withChanges),
      steps,
      left,
      recreateDirs: run.header.removeIfEmpty,
      removeIfEmpty: run.header.madeDirs ?? [],
    };
    await backend.writeTextAtomic(UNDO_JOURNAL_FILE, `${JSON.stringify(header)}\n`);
    done = new Set();
  }
  return finishUndo(backend, header, done, Boolean(pending), guard.note, opts.onProgress);
}

async function finishUndo(
  backend: MigrationBackend,
  header: UndoHeader,
  done: Set<number>,
  resumed: boolean,
  guardNote: string | undefined,
  onProgress: UndoOptions['onProgress'],
): Promise<UndoOutcome> {
  const warnings: string[] = guardNote ? [guardNote] : [];
  const left = [...header.left];
  const restored: UndoReport['restored'] = [];
  const skipped = new Set<number>();
  // The legacy folders first, so a restored item's parent is the folder it left.
  await backend.makeDirs(header.recreateDirs);
  const todo = header.steps.map((_, k) => k);
  for (let b = 0; b < todo.length; b += backend.stepBatch) {
    const batch = todo.slice(b, b + backend.stepBatch);
    const outcomes = await backend.applySteps(batch.map((k) => ({ from: header.steps[k]?.from ?? '', to: header.steps[k]?.to ?? '' })));
    let lines = '';
    batch.forEach((k, j) => {
      const s = header.steps[k] as UndoStep;
      const outcome = outcomes[j];
      if (outcome === 'both-exist') {
        skipped.add(k);
        left.push({
          path: s.from,
          legacy: s.to,
          reason: `${s.to} exists again (made after the migration): neither was changed; compare the two and merge by hand`,
          changes: [],
          changeCount: 0,
        });
      } else if (outcome === 'vanished') {
        skipped.add(k);
        warnings.push(`${s.from} disappeared before it was put back`);
      } else {
        restored.push({ kind: s.kind, from: s.from, to: s.to, owner: s.owner });
        if (s.changes?.length) warnings.push(`${s.to} went back with changes made since the migration: ${s.changes.join(', ')}`);
      }
      if (!done.has(k)) lines += `${JSON.stringify({ k })}\n`;
    });
    if (lines) await backend.appendText(UNDO_JOURNAL_FILE, lines);
    onProgress?.({ done: Math.min(b + batch.length, todo.length), total: todo.length, current: header.steps[batch.at(-1) as number]?.to });
  }
  const removedDirs: string[] = [];
  // Deepest first: a parent empties only once its children are gone.
  const deepestFirst = [...header.removeIfEmpty].sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? 1 : -1));
  for (const d of deepestFirst) if (await backend.removeDirIfEmpty(d)) removedDirs.push(d);

  const verification = await verifyFiles(
    backend,
    header.steps.filter((_, k) => !skipped.has(k)).map((s) => ({ at: s.to, files: s.expect, sums: s.sums })),
  );
  const threads = await accountUndoneThreads(backend, header.steps, left);
  const report: UndoReport = {
    base: header.base,
    of: header.of,
    startedAt: header.startedAt,
    finishedAt: new Date().toISOString(),
    resumed,
    withChanges: header.withChanges,
    restored,
    left,
    warnings,
    removedDirs,
    verification,
    threads,
    ok: verificationOk(verification) && threads.unaccounted.length === 0,
  };
  const reportFile = undoReportPathOf(header.startedAt);
  await backend.writeTextAtomic(reportFile, `${JSON.stringify(report, null, 2)}\n`);
  // Recorded before the journal is archived: a crash between the two resumes the journal
  // (every step judged "already" from the disk) and ends here again. Undone only when nothing
  // was left: otherwise another undo (--with-changes, or after merging) takes up the rest.
  const last = (await readLastRun(backend)) ?? { startedAt: header.of, journal: '', report: '' };
  const record: LastRun = { ...last, undoReport: reportFile };
  if (left.length === 0) record.undoneAt = report.finishedAt;
  await backend.writeTextAtomic(LAST_RUN_FILE, `${JSON.stringify(record, null, 2)}\n`);
  await moveOne(backend, UNDO_JOURNAL_FILE, `${JOURNAL_DIR}/undo-journal-${header.startedAt.replace(/[:.]/g, '-')}.jsonl`).catch(
    () => undefined,
  );
  return { kind: 'done', report, reportFile };
}
