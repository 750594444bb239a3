// Undo of a migration (app/migration/undo.ts) on real temporary folders: the tree comes back
// exactly, what changed since is never lost, an undo cut short resumes, a second changes nothing.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MigrationBackend } from '../../app/migration/backend.js';
import { LAST_RUN_FILE, readJournal } from '../../app/migration/execute.js';
import { LocalBackend } from '../../app/migration/local-backend.js';
import { runMigration, scanAndPlan, withMigrationLock } from '../../app/migration/run.js';
import { changesOf, planUndo, UNDO_JOURNAL_FILE, UndoUnavailableError, undoLastRun } from '../../app/migration/undo.js';
import { makeLegacyTree, makeRandomLegacyTree, snapshot, writeFile } from '../support/legacy-tree.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'spd-undo-'));
const clear = async () => ({ state: 'clear' as const });

async function migrate(base: string) {
  const backend = new LocalBackend(base);
  const out = await runMigration(backend, await scanAndPlan(backend, 'default', { baseDir: base }), { force: false, guard: clear });
  if (out.kind !== 'done') throw new Error(`migration did not run: ${out.kind}`);
  return out.report;
}

function undo(base: string, opts: { withChanges?: boolean; backend?: MigrationBackend } = {}) {
  const backend = opts.backend ?? new LocalBackend(base);
  return withMigrationLock(backend, () => undoLastRun(backend, { force: false, guard: clear, withChanges: opts.withChanges }));
}

async function undone(base: string, opts: { withChanges?: boolean } = {}) {
  const out = await undo(base, opts);
  if (out.kind !== 'done') throw new Error(`undo did not run: ${out.kind} ${'reason' in out ? out.reason : ''}`);
  return out.report;
}

describe('undo', () => {
  it('puts random trees back exactly: files, links, empty folders, conflict copies, memory.json', async () => {
    const seen = { conflicts: 0, links: 0, memoryRenamed: 0, leftInPlace: 0, madeDirsRemoved: 0, emptyFoldersRestored: 0 };
    for (let seed = 1; seed <= 40; seed++) {
      const base = fresh();
      makeRandomLegacyTree(base, seed);
      const before = snapshot(base);
      const report = await migrate(base);
      expect(report.ok).toBe(true);
      expect(snapshot(base), `seed ${seed}: the migration changed nothing`).not.toEqual(before);
      const back = await undone(base);
      expect(back.ok, `seed ${seed}: ${JSON.stringify(back.verification)}`).toBe(true);
      expect(back.left, `seed ${seed}`).toEqual([]);
      expect(report.threads.unaccounted).toEqual([]);
      expect(back.threads).toMatchObject({ left: 0, goneSince: 0, unaccounted: [] });
      expect(back.threads.back).toBe(report.threads.total - report.threads.leftInPlace);
      expect(back.restored).toHaveLength(report.moved.length + report.conflicts.length);
      expect(snapshot(base), `seed ${seed}`).toEqual(before);
      seen.conflicts += report.conflicts.length;
      seen.links += [...before.values()].filter((v) => v.startsWith('->')).length;
      seen.memoryRenamed += report.conflicts.filter((m) => m.kind === 'memory').length;
      seen.leftInPlace += report.leftInPlace.length;
      seen.madeDirsRemoved += back.removedDirs.length;
      seen.emptyFoldersRestored += report.removedEmpty.length;
      rmSync(base, { recursive: true, force: true });
    }
    // The trees did hold what the test claims to cover.
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(0);
  });

  it('a second undo changes nothing and says why', async () => {
    const base = fresh();
    makeLegacyTree(base, { threads: 3, filesPerThread: 2, memory: true, agents: ['Writer'] });
    await migrate(base);
    await undone(base);
    const after = snapshot(base, []);
    const again = await undo(base);
    expect(again).toMatchObject({ kind: 'nothing-to-undo' });
    expect(again.kind === 'nothing-to-undo' && again.reason).toMatch(/was undone already, at /);
    expect(snapshot(base, [])).toEqual(after);
  });

  it('with no completed migration there is nothing to undo, and nothing is created', async () => {
    const base = fresh();
    makeLegacyTree(base, { threads: 1, filesPerThread: 1 });
    const before = snapshot(base, []);
    expect(await undo(base)).toMatchObject({ kind: 'nothing-to-undo', reason: expect.stringMatching(/no completed migration/) });
    expect(snapshot(base, [])).toEqual(before);
  });

  it('leaves what changed since the migration where it is, names it, and loses nothing', async () => {
    const base = fresh();
    makeLegacyTree(base, { threads: 4, filesPerThread: 2 });
    await migrate(base);
    const t = (i: number) => `users/default/threads/thread-${i}`;
    writeFile(base, `${t(0)}/user-data/outputs/new.txt`, 'written after the migration');
    writeFileSync(join(base, t(1), 'user-data/outputs/file-0.txt'), 'edited after the migration, longer than before');
    rmSync(join(base, t(2), 'user-data/outputs/file-1.txt'));
    const back = await undone(base);
    expect(back.ok).toBe(true);
    expect(back.restored.map((r) => r.to)).toEqual(['threads/thread-3']);
    expect(back.threads).toEqual({ total: 4, back: 1, left: 3, goneSince: 0, unaccounted: [] });
    const left = new Map(back.left.map((l) => [l.path, l]));
    expect([...left.keys()].sort()).toEqual([t(0), t(1), t(2)]);
    expect(left.get(t(0))?.changes).toEqual([`${t(0)}/user-data/outputs/new.txt (new)`]);
    expect(left.get(t(1))?.changes[0]).toMatch(/file-0.txt \(\d+ bytes then, \d+ now\)/);
    expect(left.get(t(2))?.changes).toEqual([`${t(2)}/user-data/outputs/file-1.txt (removed)`]);
    expect(left.get(t(0))?.reason).toMatch(/--with-changes/);
    // The changed items and the changes are exactly where the user left them.
    expect(readFileSync(join(base, t(0), 'user-data/outputs/new.txt'), 'utf8')).toBe('written after the migration');
    expect(readFileSync(join(base, t(1), 'user-data/outputs/file-0.txt'), 'utf8')).toMatch(/^edited/);
    expect(existsSync(join(base, 'threads/thread-3/user-data/outputs/file-0.txt'))).toBe(true);
    expect(existsSync(join(base, 'threads/thread-0'))).toBe(false);
    // Asked again, it leaves the same items and moves nothing; with the changes, it ends the job.
    const unchanged = snapshot(base, []);
    const again = await undone(base);
    expect(again.left.map((l) => l.path).sort()).toEqual([t(0), t(1), t(2)]);
    expect(snapshot(base, ['.deer-flow-migration'])).toEqual(
      new Map([...unchanged].filter(([k]) => !k.startsWith('.deer-flow-migration'))),
    );
    const rest = await undone(base, { withChanges: true });
    expect(rest).toMatchObject({ ok: true, left: [] });
    expect(readFileSync(join(base, 'threads/thread-0/user-data/outputs/new.txt'), 'utf8')).toBe('written after the migration');
    expect(existsSync(join(base, 'users'))).toBe(false);
    expect(await undo(base)).toMatchObject({ kind: 'nothing-to-undo' });
  });

  it('--with-changes puts changed items back with their changes', async () => {
    const base = fresh();
    makeLegacyTree(base, { threads: 2, filesPerThread: 1 });
    await migrate(base);
    writeFile(base, 'users/default/threads/thread-0/user-data/outputs/new.txt', 'kept');
    const back = await undone(base, { withChanges: true });
    expect(back).toMatchObject({ ok: true, left: [], withChanges: true });
    expect(readFileSync(join(base, 'threads/thread-0/user-data/outputs/new.txt'), 'utf8')).toBe('kept');
    expect(back.warnings.join('\n')).toMatch(/threads\/thread-0 went back with changes made since the migration/);
  });

  it('a thread removed since the migration is accounted for as removed, not lost', async () => {
    const base = fresh();
    makeLegacyTree(base, { threads: 3, filesPerThread: 1 });
    await migrate(base);
    rmSync(join(base, 'users/default/threads/thread-2'), { recursive: true });
    const back = await undone(base);
    expect(back.ok).toBe(true);
    expect(back.threads).toEqual({ total: 3, back: 2, left: 0, goneSince: 1, unaccounted: [] });
    expect(back.left).toEqual([expect.objectContaining({ path: 'users/default/threads/thread-2', gone: true })]);
  });

  it('never replaces a legacy place taken since: both stay, and the report says so', async () => {
    const base = fresh();
    makeLegacyTree(base, { threads: 2, filesPerThread: 1 });
    await migrate(base);
    writeFile(base, 'threads/thread-0/fresh.txt', 'a new thread made by an old DeerFlow after the migration');
    const back = await undone(base);
    expect(back.left).toEqual([
      expect.objectContaining({
        path: 'users/default/threads/thread-0',
        legacy: 'threads/thread-0',
        reason: expect.stringMatching(/exists again/),
      }),
    ]);
    expect(readFileSync(join(base, 'threads/thread-0/fresh.txt'), 'utf8')).toMatch(/^a new thread/);
    expect(existsSync(join(base, 'users/default/threads/thread-0/user-data/outputs/file-0.txt'))).toBe(true);
    expect(existsSync(join(base, 'threads/thread-1/user-data/outputs/file-0.txt'))).toBe(true);
  });

  it('an undo cut short resumes from its journal to the same end', async () => {
    const base = fresh();
    makeRandomLegacyTree(base, 7);
    writeFile(base, 'threads/extra/one.txt', 'one');
    const before = snapshot(base);
    await migrate(base);
    // Cut short after some items went back: the journal is written, a part of its steps done
    // (on disk, not yet recorded), as a kill would leave it.
    const backend = new LocalBackend(base);
    const last = JSON.parse(readFileSync(join(base, LAST_RUN_FILE), 'utf8')) as { journal: string };
    const run = await readJournal(backend, last.journal);
    if (!run) throw new Error('no journal');
    const now = await backend.listTree(run.header.moves.map((m, i) => run.steps.get(i)?.to ?? m.to));
    const { steps } = planUndo(run.header, run.steps, now, false);
    const header = {
      type: 'undo',
      version: 1,
      startedAt: new Date().toISOString(),
      of: run.header.startedAt,
      base,
      withChanges: false,
      steps,
      left: [],
      recreateDirs: run.header.removeIfEmpty,
      removeIfEmpty: run.header.madeDirs ?? [],
    };
    writeFileSync(join(base, UNDO_JOURNAL_FILE), `${JSON.stringify(header)}\n{"k":0}\n{"k":`);
    await backend.makeDirs(header.recreateDirs);
    await backend.applySteps(steps.slice(0, Math.ceil(steps.length / 2)).map((s) => ({ from: s.from, to: s.to })));
    // A new migration refuses while the undo is unfinished.
    await expect(scanAndPlan(backend, 'default', { baseDir: base })).rejects.toThrow(/undo .* is unfinished.*--undo again/);
    const back = await undone(base);
    expect(back.resumed).toBe(true);
    expect(back.ok).toBe(true);
    expect(snapshot(base)).toEqual(before);
    expect(readdirSync(join(base, '.deer-flow-migration'))).not.toContain('undo-journal.jsonl');
    expect(await undo(base)).toMatchObject({ kind: 'nothing-to-undo' });
  });

  it('refuses while a migration is unfinished, and while sandboxes run (unless forced)', async () => {
    const base = fresh();
    makeLegacyTree(base, { threads: 2, filesPerThread: 1 });
    await migrate(base);
    const backend = new LocalBackend(base);
    writeFileSync(join(base, '.deer-flow-migration/journal.jsonl'), '{"type":"plan"}\n');
    await expect(undo(base)).rejects.toThrow(UndoUnavailableError);
    await expect(undo(base)).rejects.toThrow(/unfinished; nothing was undone. Run migrate again/);
    rmSync(join(base, '.deer-flow-migration/journal.jsonl'));
    const before = snapshot(base, []);
    const busy = async () => ({ state: 'busy' as const, pods: ['sandbox-a'] });
    const refused = await withMigrationLock(backend, () => undoLastRun(backend, { force: false, guard: busy }));
    expect(refused).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/sandbox-a/) });
    expect(snapshot(base, [])).toEqual(before);
    const forced = await withMigrationLock(backend, () => undoLastRun(backend, { force: true, guard: busy }));
    expect(forced.kind).toBe('done');
    expect(forced.kind === 'done' && forced.report.warnings[0]).toMatch(/forced while sandboxes run/);
  });
});

describe('changesOf', () => {
  it('names new, removed and resized files, and ignores folders', () => {
    const at = 'users/u/threads/t';
    const changes = changesOf(
      at,
      [
        ['a.txt', 1],
        ['b.txt', 2],
        ['c.txt', 3],
      ],
      [
        { path: at, type: 'dir', size: 0 },
        { path: `${at}/a.txt`, type: 'file', size: 1 },
        { path: `${at}/b.txt`, type: 'file', size: 5 },
        { path: `${at}/d.txt`, type: 'file', size: 1 },
        { path: `${at}/empty`, type: 'dir', size: 0 },
      ],
    );
    expect(changes).toEqual([`${at}/b.txt (2 bytes then, 5 now)`, `${at}/c.txt (removed)`, `${at}/d.txt (new)`]);
  });

  it('a moved link or memory file is its own entry', () => {
    expect(changesOf('users/u/memory.json', [['', 10]], [{ path: 'users/u/memory.json', type: 'file', size: 10 }])).toEqual([]);
    expect(changesOf('users/u/memory.json', [['', 10]], [{ path: 'users/u/memory.json', type: 'file', size: 11 }])).toEqual([
      'users/u/memory.json (10 bytes then, 11 now)',
    ]);
  });
});

describe('--verify content', () => {
  async function migrateComparing(base: string) {
    const backend = new LocalBackend(base);
    const out = await runMigration(backend, await scanAndPlan(backend, 'default', { baseDir: base }), {
      force: false,
      guard: clear,
      verify: 'content',
    });
    if (out.kind !== 'done') throw new Error(out.kind);
    return out.report;
  }

  it('a run compares checksums (links by their target name) and reports none differing', async () => {
    const base = fresh();
    makeRandomLegacyTree(base, 3);
    const report = await migrateComparing(base);
    expect(report.ok).toBe(true);
    expect(report.verification.contentMismatch).toEqual([]);
  });

  it('an undo after it sees a same-size edit, which sizes alone cannot, and leaves that item', async () => {
    const base = fresh();
    makeLegacyTree(base, { threads: 2, filesPerThread: 1 });
    await migrateComparing(base);
    const file = join(base, 'users/default/threads/thread-0/user-data/outputs/file-0.txt');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('thread', 'THREAD')); // same length
    const back = await undone(base);
    expect(back.left).toEqual([
      expect.objectContaining({
        path: 'users/default/threads/thread-0',
        changes: ['users/default/threads/thread-0/user-data/outputs/file-0.txt (edited: same size, other contents)'],
      }),
    ]);
    // The untouched thread went back and was checked to the byte.
    expect(back.verification.contentMismatch).toEqual([]);
    expect(back.verification.files).toBe(1);
  });

  it('the local backend hashes files and links without following links', async () => {
    const base = fresh();
    writeFile(base, 'a.txt', 'abc');
    symlinkSync('/etc/passwd', join(base, 'l'));
    const [a, l, missing] = await new LocalBackend(base).checksums(['a.txt', 'l', 'nope']);
    expect(a).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(l).toBe(createHash('sha256').update('link:/etc/passwd').digest('hex'));
    expect(missing).toBeUndefined();
  });
});
