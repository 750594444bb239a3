// Carries out a plan with a journal kept inside B, so a run killed at any moment resumes to
// the same end state, then verifies that every file that existed before is still there with
// the same size. Every step is judged by the state on disk, which makes it idempotent:
//   legacy there, destination free → move it;   legacy gone, destination there → done;
//   both there as one file (a move cut between link and unlink) → drop the old name;
//   both there as different things (created since planning) → the legacy copy goes to
//   migration-conflicts instead. Nothing is ever replaced or deleted, except legacy folders
//   the moves left empty.
import { AppError } from '../errors.js';
import { type MigrationBackend, moveOne } from './backend.js';
import { CONFLICTS_DIR, type Entry, itemOf, JOURNAL_DIR, type LeftInPlace, type Move, type Plan } from './plan.js';

export const JOURNAL_FILE = `${JOURNAL_DIR}/journal.jsonl`;
/** Names the last completed run (its archived journal and report): what `--undo` takes back. */
export const LAST_RUN_FILE = `${JOURNAL_DIR}/last-run.json`;

export interface LastRun {
  startedAt: string;
  /** The run's archived journal and its report, relative to the base directory. */
  journal: string;
  report: string;
  /** Set once an undo put the whole run back: a second undo changes nothing. */
  undoneAt?: string;
  /** The last undo's report (one that left items does not set undoneAt: the next takes them up). */
  undoReport?: string;
}

export interface JournalHeader {
  type: 'plan';
  version: 1;
  startedAt: string;
  base: string;
  userId: string;
  moves: Move[];
  leftInPlace: LeftInPlace[];
  warnings: string[];
  removeIfEmpty: string[];
  /** Per move: the files under its legacy path (relative to it; '' for the item itself) and sizes. */
  manifest: [string, number][][];
  /** Folders the moves had to create (absent before): an undo removes those it leaves empty. */
  madeDirs?: string[];
  /** With --verify content: per move, the SHA-256 of each manifest file (same order). */
  checksums?: (string | undefined)[][];
}

/** How a run checks its result: sizes (fast), or contents too (reads every file twice). */
export type VerifyMode = 'sizes' | 'content';

export interface JournalStep {
  type: 'done';
  i: number;
  /** Where the item went (differs from the plan when its place was taken since planning). */
  to: string;
}

export interface Progress {
  done: number;
  total: number;
  current?: string;
}

export interface MigrationReport {
  base: string;
  userId: string;
  startedAt: string;
  finishedAt: string;
  resumed: boolean;
  moved: Move[];
  conflicts: Move[];
  leftInPlace: LeftInPlace[];
  warnings: string[];
  removedEmpty: string[];
  verification: Verification;
  /** Every legacy thread the run knew of, and where it is now (checked on disk). */
  threads: ThreadAccount;
  ok: boolean;
}

export interface Verification {
  files: number;
  bytes: number;
  missing: string[];
  sizeMismatch: string[];
  /** With --verify content: files whose contents differ from before (same size or not). */
  contentMismatch?: string[];
}

export const verificationOk = (v: Verification) => !v.missing.length && !v.sizeMismatch.length && !v.contentMismatch?.length;

export interface ThreadAccount {
  /** Legacy thread ids of the run: moved, copied to migration-conflicts/, or left in place. */
  total: number;
  /** Threads at their owner's place, per user. */
  byUser: Record<string, number>;
  /** In migration-conflicts/ (the owner's place was taken). */
  inConflicts: number;
  /** Left in place with a reason (an owner that is not a valid id). */
  leftInPlace: number;
  /** Thread ids found at neither place: the run is not ok while there is one. */
  unaccounted: string[];
}

const isThreadFolderLeft = (l: LeftInPlace) => l.path.startsWith('threads/') && l.needsUser === true;

/** Where every legacy thread of a run is now: each one is looked for on disk, not taken from the plan. */
export async function accountThreads(backend: MigrationBackend, moves: Move[], leftInPlace: LeftInPlace[]): Promise<ThreadAccount> {
  const threadMoves = moves.filter((m) => m.kind === 'thread');
  const left = leftInPlace.filter(isThreadFolderLeft);
  const found = await backend.sizes([...threadMoves.map((m) => m.to), ...left.map((l) => l.path)]);
  const account: ThreadAccount = { total: threadMoves.length + left.length, byUser: {}, inConflicts: 0, leftInPlace: 0, unaccounted: [] };
  threadMoves.forEach((m, i) => {
    if (found[i] === undefined) account.unaccounted.push(m.from.slice('threads/'.length));
    else if (m.conflict) account.inConflicts++;
    else account.byUser[m.owner] = (account.byUser[m.owner] ?? 0) + 1;
  });
  left.forEach((l, i) => {
    if (found[threadMoves.length + i] === undefined) account.unaccounted.push(l.path.slice('threads/'.length));
    else account.leftInPlace++;
  });
  return account;
}

/** Where a run's report is saved, relative to the base directory. */
export function reportPathOf(startedAt: string): string {
  return `${JOURNAL_DIR}/report-${startedAt.replace(/[:.]/g, '-')}.json`;
}

/** Where a finished run's journal is kept, relative to the base directory. */
export function archivedJournalOf(startedAt: string): string {
  return `${JOURNAL_DIR}/journal-${startedAt.replace(/[:.]/g, '-')}.jsonl`;
}

export function manifestOf(entries: Entry[], moves: Move[]): [string, number][][] {
  const index = new Map(moves.map((m, i) => [m.from, i]));
  const out: [string, number][][] = moves.map(() => []);
  for (const e of entries) {
    if (e.type === 'dir') continue;
    const item = itemOf(e.path);
    const i = item === undefined ? undefined : index.get(item);
    if (i === undefined || !item) continue;
    out[i]?.push([e.path === item ? '' : e.path.slice(item.length + 1), e.size]);
  }
  return out;
}

/**
 * The journal of an unfinished run cannot be read or replayed: every rerun would stop at the
 * same place, so the message says how to get out (the data moved so far stays where it is).
 */
export class JournalError extends AppError {
  constructor(base: string, why: string) {
    super(
      'conflict',
      `the unfinished migration recorded in ${base}/${JOURNAL_FILE} cannot be resumed: ${why}. Nothing more was changed; what it moved already is at its new place. To start afresh, rename that file (for example to journal.jsonl.broken) and run again: the new run plans from what is on disk now`,
    );
  }
}

/** Path segments the file system takes (NAME_MAX is 255 bytes on Linux, macOS and Windows). */
const segmentsFit = (p: unknown) =>
  typeof p === 'string' && p.length > 0 && p.split('/').every((s) => s !== '' && s !== '..' && Buffer.byteLength(s) <= 255);

function checkHeader(base: string, header: Partial<JournalHeader>): JournalHeader {
  if (header.type !== 'plan' || header.version !== 1) throw new JournalError(base, 'it is not a journal this version understands');
  if (!Array.isArray(header.moves) || !Array.isArray(header.manifest) || !Array.isArray(header.removeIfEmpty))
    throw new JournalError(base, 'its plan is incomplete');
  const bad = header.moves.find((m) => !segmentsFit(m?.from) || !segmentsFit(m?.to));
  if (bad) throw new JournalError(base, `it names a path no file system can hold (${String(bad?.to ?? bad?.from).slice(0, 80)}…)`);
  return header as JournalHeader;
}

/**
 * The folders on the way to the destinations that the scan did not find: the run will create
 * them. Only places the scan covers are named (users/ four levels down, migration-conflicts/
 * two), so a folder that existed is never taken for one the run made.
 */
export function dirsToMake(entries: Entry[], moves: Move[]): string[] {
  const present = new Set(entries.map((e) => e.path));
  const out = new Set<string>();
  for (const m of moves) {
    const parts = m.to.split('/');
    const covered = parts[0] === 'users' ? 4 : parts[0] === CONFLICTS_DIR ? 2 : 0;
    for (let i = 1; i < parts.length && i <= covered; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (!present.has(prefix)) out.add(prefix);
    }
  }
  return [...out].sort();
}

/** A run's journal: the active one by default, or an archived one (`journal-<stamp>.jsonl`). */
export async function readJournal(
  backend: MigrationBackend,
  path = JOURNAL_FILE,
): Promise<{ header: JournalHeader; steps: Map<number, JournalStep> } | undefined> {
  const text = await backend.readText(path);
  if (!text) return undefined;
  const lines = text.split('\n').filter(Boolean);
  let parsed: Partial<JournalHeader>;
  try {
    parsed = JSON.parse(lines[0] ?? '{}') as Partial<JournalHeader>;
  } catch (e) {
    throw new JournalError(backend.description, `its first line is not valid JSON (${(e as Error).message})`);
  }
  const header = checkHeader(backend.description, parsed);
  const steps = new Map<number, JournalStep>();
  for (const line of lines.slice(1)) {
    try {
      const s = JSON.parse(line) as JournalStep;
      if (s.type === 'done') steps.set(s.i, s);
    } catch {
      // A line cut short by a crash: that step is judged again from the disk.
    }
  }
  return { header, steps };
}

/** Starts a new run: writes the journal (durably) before the first move, then executes it. */
export async function executePlan(
  backend: MigrationBackend,
  plan: Plan,
  entries: Entry[],
  onProgress?: (p: Progress) => void,
  verify: VerifyMode = 'sizes',
): Promise<MigrationReport> {
  const manifest = manifestOf(entries, plan.moves);
  const header: JournalHeader = {
    type: 'plan',
    version: 1,
    startedAt: new Date().toISOString(),
    base: backend.description,
    userId: plan.userId,
    moves: plan.moves,
    leftInPlace: plan.leftInPlace,
    warnings: plan.warnings,
    removeIfEmpty: plan.removeIfEmpty,
    manifest,
    madeDirs: dirsToMake(entries, plan.moves),
  };
  if (verify === 'content')
    header.checksums = await checksumsOf(
      backend,
      plan.moves.map((m, i) => ({ at: m.from, files: manifest[i] ?? [] })),
    );
  await backend.writeTextAtomic(JOURNAL_FILE, `${JSON.stringify(header)}\n`);
  return runJournal(backend, header, new Map(), false, onProgress);
}

/** Resumes the run recorded in the journal, to the same end state as an uninterrupted run. */
export type Journal = NonNullable<Awaited<ReturnType<typeof readJournal>>>;

/** `journal`: one already read (the scan reads it), so a big journal is not fetched twice. */
export async function resumeJournal(
  backend: MigrationBackend,
  onProgress?: (p: Progress) => void,
  read?: Journal,
): Promise<MigrationReport | undefined> {
  const journal = read ?? (await readJournal(backend));
  if (!journal) return undefined;
  return runJournal(backend, journal.header, journal.steps, true, onProgress);
}

async function freeConflictPlace(backend: MigrationBackend, base: string): Promise<string> {
  if (!(await backend.stat(base))) return base;
  for (let i = 1; ; i++) if (!(await backend.stat(`${base}.${i}`))) return `${base}.${i}`;
}

/** The destination appeared since planning: the legacy copy goes to migration-conflicts/late. */
async function moveToLateConflict(backend: MigrationBackend, m: Move): Promise<{ to: string; warning: string }> {
  const late = await freeConflictPlace(backend, `${CONFLICTS_DIR}/late/${m.from}`);
  await moveOne(backend, m.from, late);
  return { to: late, warning: `${m.to} appeared after planning; ${m.from} went to ${late}` };
}

async function runJournal(
  backend: MigrationBackend,
  header: JournalHeader,
  done: Map<number, JournalStep>,
  resumed: boolean,
  onProgress?: (p: Progress) => void,
): Promise<MigrationReport> {
  const warnings = [...header.warnings];
  const moves = header.moves.map((m) => ({ ...m }));
  const total = moves.length;
  let lastReport = 0;
  // "done" lines are written in batches: resuming judges each step from the disk, so a lost
  // line only means that step is looked at again. A step that went somewhere other than
  // planned is written at once, because only the journal remembers where.
  let pending = '';
  let pendingSince = Date.now();
  const flush = async () => {
    if (!pending) return;
    await backend.appendText(JOURNAL_FILE, pending);
    pending = '';
    pendingSince = Date.now();
  };
  const todo: number[] = [];
  for (let i = 0; i < total; i++) {
    const recorded = done.get(i);
    if (recorded) (moves[i] as Move).to = recorded.to;
    else todo.push(i);
  }
  let completed = total - todo.length;
  for (let b = 0; b < todo.length; b += backend.stepBatch) {
    const batch = todo.slice(b, b + backend.stepBatch);
    const outcomes = await backend.applySteps(batch.map((i) => ({ from: (moves[i] as Move).from, to: (moves[i] as Move).to })));
    for (let k = 0; k < batch.length; k++) {
      const i = batch[k] as number;
      const m = moves[i] as Move;
      const outcome = outcomes[k];
      if (outcome === 'vanished') warnings.push(`${m.from} disappeared before it was moved`);
      if (outcome === 'both-exist') {
        const late = await moveToLateConflict(backend, m);
        warnings.push(late.warning);
        m.to = late.to;
        m.conflict = true;
        pending += `${JSON.stringify({ type: 'done', i, to: m.to } satisfies JournalStep)}\n`;
        await flush(); // only the journal remembers where it went
        continue;
      }
      pending += `${JSON.stringify({ type: 'done', i, to: m.to } satisfies JournalStep)}\n`;
    }
    completed += batch.length;
    if (Date.now() - pendingSince > 250 || pending.length > 64 * 1024) await flush();
    const now = Date.now();
    if (onProgress && (now - lastReport > 200 || completed === total)) {
      lastReport = now;
      onProgress({ done: completed, total, current: (moves[batch.at(-1) as number] as Move).from });
    }
  }
  await flush();
  const removedEmpty: string[] = [];
  for (const d of header.removeIfEmpty) if (await backend.removeDirIfEmpty(d)) removedEmpty.push(d);

  const verification = await verifyFiles(
    backend,
    moves.map((m, i) => ({ at: m.to, files: header.manifest[i] ?? [], sums: header.checksums?.[i] })),
  );
  const threads = await accountThreads(backend, moves, header.leftInPlace);
  const finishedAt = new Date().toISOString();
  const report: MigrationReport = {
    base: header.base,
    userId: header.userId,
    startedAt: header.startedAt,
    finishedAt,
    resumed,
    moved: moves.filter((m) => !m.conflict),
    conflicts: moves.filter((m) => m.conflict),
    leftInPlace: header.leftInPlace,
    warnings,
    removedEmpty,
    verification,
    threads,
    ok: verificationOk(verification) && threads.unaccounted.length === 0,
  };
  // The report stays beside the data; the journal is archived so a new run starts afresh, and
  // the last-run record names both for an undo (written before the archive: a crash between
  // the two leaves the journal, whose resume ends here again).
  const archived = archivedJournalOf(header.startedAt);
  await backend.writeTextAtomic(reportPathOf(header.startedAt), `${JSON.stringify(report, null, 2)}\n`);
  const last: LastRun = { startedAt: header.startedAt, journal: archived, report: reportPathOf(header.startedAt) };
  await backend.writeTextAtomic(LAST_RUN_FILE, `${JSON.stringify(last, null, 2)}\n`);
  await moveOne(backend, JOURNAL_FILE, archived).catch(() => undefined);
  return report;
}

const pathsOf = (items: { at: string; files: [string, number][] }[]) =>
  items.flatMap(({ at, files }) => files.map(([rel]) => (rel ? `${at}/${rel}` : at)));

/** The checksums of each item's files, grouped per item as its `files` are. */
export async function checksumsOf(
  backend: MigrationBackend,
  items: { at: string; files: [string, number][] }[],
): Promise<(string | undefined)[][]> {
  const flat = await backend.checksums(pathsOf(items));
  let k = 0;
  return items.map(({ files }) => files.map(() => flat[k++]));
}

/**
 * Checks that the files of each item are where it went, with the sizes they had: `at` is the
 * item's place now, `files` its files relative to it ('' for the item itself) and their sizes,
 * `sums` (with --verify content) their checksums before.
 */
export async function verifyFiles(
  backend: MigrationBackend,
  items: { at: string; files: [string, number][]; sums?: (string | undefined)[] }[],
): Promise<Verification> {
  const paths = pathsOf(items);
  const expected = items.flatMap(({ files }) => files.map(([, size]) => size));
  const withSums = items.some((i) => i.sums);
  const expectedSums = withSums ? items.flatMap(({ files, sums }) => files.map((_, j) => sums?.[j])) : [];
  const [sizes, sums] = await Promise.all([backend.sizes(paths), withSums ? backend.checksums(paths) : Promise.resolve([])]);
  const missing: string[] = [];
  const sizeMismatch: string[] = [];
  const contentMismatch: string[] = [];
  let bytes = 0;
  sizes.forEach((s, i) => {
    const path = paths[i] as string;
    if (s === undefined) missing.push(path);
    else if (s !== expected[i]) sizeMismatch.push(`${path}: ${expected[i]} bytes before, ${s} after`);
    else bytes += s;
    if (s !== undefined && expectedSums[i] !== undefined && sums[i] !== expectedSums[i]) contentMismatch.push(path);
  });
  return withSums
    ? { files: paths.length, bytes, missing, sizeMismatch, contentMismatch }
    : { files: paths.length, bytes, missing, sizeMismatch };
}
