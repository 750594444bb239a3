// The local backend and the executor on real temporary folders (no cluster needed).
import { existsSync, linkSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { moveOne } from '../../app/migration/backend.js';
import { accountThreads, JOURNAL_FILE, manifestOf, readJournal, resumeJournal } from '../../app/migration/execute.js';
import { LocalBackend } from '../../app/migration/local-backend.js';
import { runMigration, scanAndPlan } from '../../app/migration/run.js';
import { backendContract } from '../support/backend-contract.js';
import { makeLegacyTree, snapshot, symlink, writeFile } from '../support/legacy-tree.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'spd-mig-'));
const clear = { force: false, guard: async () => ({ state: 'clear' as const }) };

async function migrate(base: string, userId = 'default') {
  const backend = new LocalBackend(base);
  const scan = await scanAndPlan(backend, userId, { baseDir: base });
  return runMigration(backend, scan, clear);
}

describe('accountThreads', () => {
  it('looks for every thread on disk: at its owner, in conflicts, left in place; one found nowhere is named', async () => {
    const base = fresh();
    writeFile(base, 'users/alice/threads/t1/a.txt', 'a');
    writeFile(base, 'migration-conflicts/threads/t2/b.txt', 'b');
    writeFile(base, 'threads/t3/c.txt', 'c');
    const move = (tid: string, to: string, owner: string, conflict: boolean) => ({
      kind: 'thread' as const,
      from: `threads/${tid}`,
      to,
      target: `users/${owner}/threads/${tid}`,
      conflict,
      owner,
      files: 1,
      bytes: 1,
    });
    const account = await accountThreads(
      new LocalBackend(base),
      [
        move('t1', 'users/alice/threads/t1', 'alice', false),
        move('t2', 'migration-conflicts/threads/t2', 'bob', true),
        move('t4', 'users/bob/threads/t4', 'bob', false),
      ],
      [
        { path: 'threads/t3', reason: 'bad owner', needsUser: true },
        { path: 'threads/stray.txt', reason: 'a file, not a thread folder' },
      ],
    );
    expect(account).toEqual({ total: 4, byUser: { alice: 1 }, inConflicts: 1, leftInPlace: 1, unaccounted: ['t4'] });
  });
});

describe('local migration', () => {
  it('moves everything per the plan, keeps every file with its size, and reports it', async () => {
    const base = fresh();
    makeLegacyTree(base, {
      threads: 20,
      filesPerThread: 3,
      owners: { 'thread-1': 'alice' },
      agents: ['Writer'],
      skills: ['s1', '.history'],
      memory: true,
    });
    const before = snapshot(base);
    const out = await migrate(base);
    expect(out.kind).toBe('done');
    if (out.kind !== 'done') return;
    expect(out.report.ok).toBe(true);
    expect(out.report.verification).toMatchObject({ files: 20 * 3 + 1 + 2 + 1, missing: [], sizeMismatch: [] });
    expect(out.report.threads).toEqual({ total: 20, byUser: { alice: 1, default: 19 }, inConflicts: 0, leftInPlace: 0, unaccounted: [] });
    expect(readFileSync(join(base, 'users/alice/threads/thread-1/user-data/outputs/file-0.txt'), 'utf8')).toMatch(/^thread 1 file 0/);
    expect(existsSync(join(base, 'users/default/agents/writer/config.yaml'))).toBe(true);
    expect(existsSync(join(base, 'users/default/skills/custom/.history/SKILL.md'))).toBe(true);
    expect(existsSync(join(base, 'users/default/memory.json'))).toBe(true);
    for (const gone of ['threads', 'agents', 'skills/custom', 'memory.json']) expect(existsSync(join(base, gone))).toBe(false);
    // Every file that existed is somewhere now, with the same size.
    const after = snapshot(base);
    const sizesBefore = [...before]
      .filter(([p]) => !p.endsWith('/'))
      .map(([, s]) => s)
      .sort();
    const sizesAfter = [...after]
      .filter(([p]) => !p.endsWith('/'))
      .map(([, s]) => s)
      .sort();
    expect(sizesAfter).toEqual(sizesBefore);
    // The report is kept beside the data.
    const kept = readdirSync(join(base, '.deer-flow-migration'));
    expect(kept.some((f) => f.startsWith('report-'))).toBe(true);
    expect(kept).not.toContain('journal.jsonl');
  });

  it('running again does nothing', async () => {
    const base = fresh();
    makeLegacyTree(base, { threads: 3, filesPerThread: 1 });
    await migrate(base);
    const once = snapshot(base);
    expect((await migrate(base)).kind).toBe('nothing-to-do');
    expect(snapshot(base)).toEqual(once);
  });

  it('never overwrites: existing per-user data wins, the legacy copy goes to migration-conflicts', async () => {
    const base = fresh();
    makeLegacyTree(base, { threads: 2, filesPerThread: 1, memory: true });
    writeFile(base, 'users/default/threads/thread-0/user-data/outputs/file-0.txt', 'NEWER');
    writeFile(base, 'users/default/memory.json', 'NEWER MEMORY');
    await migrate(base);
    expect(readFileSync(join(base, 'users/default/threads/thread-0/user-data/outputs/file-0.txt'), 'utf8')).toBe('NEWER');
    expect(readFileSync(join(base, 'migration-conflicts/threads/thread-0/user-data/outputs/file-0.txt'), 'utf8')).toMatch(/^thread 0/);
    expect(readFileSync(join(base, 'users/default/memory.json'), 'utf8')).toBe('NEWER MEMORY');
    expect(readFileSync(join(base, 'memory.legacy.json'), 'utf8')).toBe('{"facts":[]}');
  });

  it('moves symbolic links as links and reads or writes nothing outside the base', async () => {
    const outside = fresh();
    writeFile(outside, 'secret.txt', 'outside data');
    const mtime = statSync(join(outside, 'secret.txt')).mtimeMs;
    const base = fresh();
    makeLegacyTree(base, { threads: 1, filesPerThread: 1 });
    symlink(base, 'threads/thread-0/user-data/escape', outside);
    symlink(base, 'threads/linked-thread', join(outside));
    const out = await migrate(base);
    expect(out.kind === 'done' && out.report.ok).toBe(true);
    expect(readlinkSync(join(base, 'users/default/threads/thread-0/user-data/escape'))).toBe(outside);
    expect(readlinkSync(join(base, 'users/default/threads/linked-thread'))).toBe(outside);
    expect(readdirSync(outside)).toEqual(['secret.txt']);
    expect(statSync(join(outside, 'secret.txt')).mtimeMs).toBe(mtime);
  });

  it('refuses to start while sandboxes run, changing nothing', async () => {
    const base = fresh();
    makeLegacyTree(base, { threads: 2, filesPerThread: 1 });
    const before = snapshot(base, []);
    const backend = new LocalBackend(base);
    const out = await runMigration(backend, await scanAndPlan(backend, 'default', { baseDir: base }), {
      force: false,
      guard: async () => ({ state: 'busy', pods: ['sandbox-a'] }),
    });
    expect(out).toMatchObject({ kind: 'refused', reason: expect.stringContaining('sandbox-a') });
    expect(snapshot(base, [])).toEqual(before);
  });

  it('refuses when the cluster cannot be asked, unless forced', async () => {
    const base = fresh();
    makeLegacyTree(base, { threads: 1, filesPerThread: 1 });
    const backend = new LocalBackend(base);
    const guard = async () => ({ state: 'unreachable' as const, message: 'no cluster' });
    expect((await runMigration(backend, await scanAndPlan(backend, 'default', { baseDir: base }), { force: false, guard })).kind).toBe(
      'refused',
    );
    const forced = await runMigration(backend, await scanAndPlan(backend, 'default', { baseDir: base }), { force: true, guard });
    expect(forced.kind === 'done' && forced.report.warnings[0]).toMatch(/forced without checking/);
  });

  it('resumes a journal cut short, including a file move stopped between link and unlink', async () => {
    const base = fresh();
    makeLegacyTree(base, { threads: 4, filesPerThread: 2, memory: true });
    const backend = new LocalBackend(base);
    const { plan, entries } = await scanAndPlan(backend, 'default', { baseDir: base });
    // Simulate a crash: journal written, first thread moved, memory.json linked but not unlinked.
    const header = {
      type: 'plan',
      version: 1,
      startedAt: new Date().toISOString(),
      base,
      userId: 'default',
      moves: plan.moves,
      leftInPlace: [],
      warnings: [],
      removeIfEmpty: plan.removeIfEmpty,
    };
    await backend.writeTextAtomic(JOURNAL_FILE, `${JSON.stringify({ ...header, manifest: manifestOf(entries, plan.moves) })}\n{"type":"do`);
    await moveOne(backend, 'threads/thread-0', 'users/default/threads/thread-0');
    writeFile(base, 'users/default/.keep', '');
    linkSync(join(base, 'memory.json'), join(base, 'users/default/memory.json'));
    expect((await readJournal(backend))?.steps.size).toBe(0);

    const report = await resumeJournal(backend);
    expect(report?.ok).toBe(true);
    expect(report?.resumed).toBe(true);
    expect(existsSync(join(base, 'memory.json'))).toBe(false);
    expect(existsSync(join(base, 'users/default/threads/thread-3/user-data/outputs/file-1.txt'))).toBe(true);

    // And the same end state as an uninterrupted run on an identical tree.
    const reference = fresh();
    makeLegacyTree(reference, { threads: 4, filesPerThread: 2, memory: true });
    writeFile(reference, 'users/default/.keep', '');
    await migrate(reference);
    expect(snapshot(base)).toEqual(snapshot(reference));
  });

  it('refuses a base directory that is missing or a file, with the reason', async () => {
    await expect(new LocalBackend('/nonexistent/deer-flow').scan()).rejects.toThrow(/does not exist/);
    const base = fresh();
    writeFile(base, 'file', 'x');
    await expect(new LocalBackend(join(base, 'file')).scan()).rejects.toThrow(/is not a folder/);
  });

  it('a single move never replaces what is there: files or folders', async () => {
    const base = fresh();
    writeFile(base, 'a.txt', 'A');
    writeFile(base, 'b.txt', 'B');
    writeFile(base, 'dir1/x', '1');
    writeFile(base, 'dir2/keep', 'kept');
    const backend = new LocalBackend(base);
    await expect(moveOne(backend, 'a.txt', 'b.txt')).rejects.toThrow(/exists already/);
    await expect(moveOne(backend, 'dir1', 'dir2')).rejects.toThrow(/exists already/);
    expect(readFileSync(join(base, 'b.txt'), 'utf8')).toBe('B');
    expect(readFileSync(join(base, 'a.txt'), 'utf8')).toBe('A');
    expect(readdirSync(join(base, 'dir2'))).toEqual(['keep']);
    await moveOne(backend, 'a.txt', 'new/place/a.txt');
    expect(readFileSync(join(base, 'new/place/a.txt'), 'utf8')).toBe('A');
  });

  it('refuses paths that try to leave the base', async () => {
    const backend = new LocalBackend(fresh());
    await expect(moveOne(backend, '../x', 'y')).rejects.toThrow(/outside the base/);
    await expect(backend.readText('/etc/passwd')).rejects.toThrow(/outside the base/);
  });
});

backendContract('local folder', async () => {
  const base = mkdtempSync(join(tmpdir(), 'spd-contract-'));
  return { backend: new LocalBackend(base), base, close: async () => {} };
});
