// Migration safety on real folders: symbolic links on the way to any place the run writes are
// refused before anything moves; one run at a time per base folder; owner ids too long for a
// path stay in place; a journal that cannot be replayed says what to do instead of failing the
// same way at every rerun.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LinkOnTheWayError } from '../../app/migration/backend.js';
import { JOURNAL_FILE, JournalError } from '../../app/migration/execute.js';
import { LocalBackend } from '../../app/migration/local-backend.js';
import { LOCK_FILE, MigrationLockedError, runMigration, scanAndPlan, withMigrationLock } from '../../app/migration/run.js';
import { makeLegacyTree, snapshot } from '../support/legacy-tree.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'spd-mig-safe-'));
const clear = { force: false, guard: async () => ({ state: 'clear' as const }) };

async function migrate(base: string) {
  const backend = new LocalBackend(base);
  return withMigrationLock(backend, async () => runMigration(backend, await scanAndPlan(backend, 'default', { baseDir: base }), clear));
}

describe('symbolic links on the way', () => {
  // Each case: a folder of B that the run would write through, made a link to a folder outside.
  const cases: [string, (base: string, outside: string) => void][] = [
    ['users', (b, o) => symlinkSync(o, join(b, 'users'))],
    [
      'users/default',
      (b, o) => {
        mkdirSync(join(b, 'users'));
        symlinkSync(o, join(b, 'users/default'));
      },
    ],
    [
      'users/default/threads',
      (b, o) => {
        mkdirSync(join(b, 'users/default'), { recursive: true });
        symlinkSync(o, join(b, 'users/default/threads'));
      },
    ],
    ['.deer-flow-migration', (b, o) => symlinkSync(o, join(b, '.deer-flow-migration'))],
    [
      'migration-conflicts',
      (b, o) => {
        mkdirSync(join(b, 'users/default/threads/thread-0'), { recursive: true });
        symlinkSync(o, join(b, 'migration-conflicts'));
      },
    ],
  ];

  it.each(cases)('refuses a link at %s before moving anything, and writes nothing outside', async (link, make) => {
    const base = fresh();
    const outside = fresh();
    makeLegacyTree(base, { threads: 3, filesPerThread: 2 });
    make(base, outside);
    const before = snapshot(base);
    const err = await migrate(base).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LinkOnTheWayError);
    expect((err as Error).message).toContain(`${link} in ${base} is a symbolic link`);
    expect((err as Error).message).toMatch(/Replace .* with a real folder/);
    expect(snapshot(base)).toEqual(before);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('the backend itself refuses to move through a link that appeared after the scan', async () => {
    const base = fresh();
    const outside = fresh();
    makeLegacyTree(base, { threads: 1, filesPerThread: 1 });
    symlinkSync(outside, join(base, 'users'));
    const backend = new LocalBackend(base);
    await expect(backend.applySteps([{ from: 'threads/thread-0', to: 'users/default/threads/thread-0' }])).rejects.toThrow(
      LinkOnTheWayError,
    );
    await expect(backend.writeTextAtomic('users/x.json', '{}')).rejects.toThrow(LinkOnTheWayError);
    expect(existsSync(join(base, 'threads/thread-0'))).toBe(true);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('a link as the moved item itself is still moved as a link (that is not "on the way")', async () => {
    const base = fresh();
    const outside = fresh();
    makeLegacyTree(base, { threads: 1, filesPerThread: 1 });
    symlinkSync(outside, join(base, 'threads/linked'));
    const out = await migrate(base);
    expect(out.kind).toBe('done');
    expect(existsSync(join(base, 'users/default/threads/linked'))).toBe(true);
  });
});

describe('one migration at a time', () => {
  it('a second run while one holds the lock is refused and names the holder; the first finishes', async () => {
    const base = fresh();
    makeLegacyTree(base, { threads: 50, filesPerThread: 2 });
    const backend = new LocalBackend(base);
    let second: unknown;
    const first = withMigrationLock(backend, async () => {
      second = await migrate(base).catch((e: unknown) => e);
      return runMigration(backend, await scanAndPlan(backend, 'default', { baseDir: base }), clear);
    });
    const out = await first;
    expect(second).toBeInstanceOf(MigrationLockedError);
    expect((second as Error).message).toMatch(new RegExp(`another migration of .* is running \\(process ${process.pid} on `));
    expect(out.kind === 'done' && out.report.ok).toBe(true);
    expect(existsSync(join(base, LOCK_FILE))).toBe(false);
  });

  it('three runs at once: one migrates, the others refuse, and nothing is reported missing', async () => {
    const base = fresh();
    makeLegacyTree(base, { threads: 200, filesPerThread: 2 });
    const results = await Promise.allSettled([migrate(base), migrate(base), migrate(base)]);
    const done = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(done).toHaveLength(1);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(MigrationLockedError);
    const out = (done[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof migrate>>>).value;
    expect(out.kind === 'done' && out.report.verification.missing).toEqual([]);
    expect(readdirSync(join(base, 'users/default/threads'))).toHaveLength(200);
  });

  it('a lock left by a process of this machine that died is taken over', async () => {
    const base = fresh();
    makeLegacyTree(base, { threads: 2, filesPerThread: 1 });
    mkdirSync(join(base, '.deer-flow-migration'));
    const dead = 2 ** 22 + 12345; // above the default pid_max: no such process
    writeFileSync(join(base, LOCK_FILE), JSON.stringify({ pid: dead, host: (await import('node:os')).hostname(), startedAt: 'then' }));
    const out = await migrate(base);
    expect(out.kind).toBe('done');
  });

  it('a lock of another machine is not taken over: it says how to remove it', async () => {
    const base = fresh();
    makeLegacyTree(base, { threads: 2, filesPerThread: 1 });
    mkdirSync(join(base, '.deer-flow-migration'));
    writeFileSync(join(base, LOCK_FILE), JSON.stringify({ pid: 1, host: 'another-laptop', startedAt: 'then' }));
    await expect(migrate(base)).rejects.toThrow(/process 1 on another-laptop.*If none is running, remove \.deer-flow-migration\/lock/);
    expect(existsSync(join(base, 'threads/thread-0'))).toBe(true);
  });

  it('a base folder that does not exist is refused, and not created', async () => {
    const base = join(fresh(), 'typo');
    await expect(migrate(base)).rejects.toThrow(/does not exist/);
    expect(existsSync(base)).toBe(false);
  });
});

describe('owners that cannot be folder names', () => {
  it('an owner id of 10,000 characters leaves its thread in place with a reason; the run and a rerun succeed', async () => {
    const base = fresh();
    const long = 'a'.repeat(10_000);
    makeLegacyTree(base, { threads: 3, filesPerThread: 1, owners: { 'thread-1': long } });
    const out = await migrate(base);
    expect(out.kind).toBe('done');
    if (out.kind !== 'done') return;
    expect(out.report.leftInPlace).toEqual([
      {
        path: 'threads/thread-1',
        reason: expect.stringMatching(/"a{40}"… \(10000 characters\), is not a valid user id \(1 to 128/),
        needsUser: true,
      },
    ]);
    expect(existsSync(join(base, 'threads/thread-1'))).toBe(true);
    expect((await migrate(base)).kind).toBe('nothing-to-do');
  });
});

describe('a journal that cannot be replayed', () => {
  it.each([
    ['not JSON', 'this is not json\n'],
    [
      'a path no file system holds',
      `${JSON.stringify({ type: 'plan', version: 1, startedAt: 'x', base: 'b', userId: 'default', moves: [{ from: 'threads/t', to: `users/${'a'.repeat(10_000)}/threads/t` }], leftInPlace: [], warnings: [], removeIfEmpty: [], manifest: [[]] })}\n`,
    ],
  ])('(%s) is reported with what to do, the same way each time, changing nothing', async (_what, text) => {
    const base = fresh();
    makeLegacyTree(base, { threads: 2, filesPerThread: 1 });
    mkdirSync(join(base, '.deer-flow-migration'));
    writeFileSync(join(base, JOURNAL_FILE), text);
    const before = snapshot(base);
    for (let i = 0; i < 2; i++) {
      const err = await migrate(base).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JournalError);
      expect((err as Error).message).toMatch(
        /cannot be resumed: .*rename that file \(for example to journal\.jsonl\.broken\) and run again/,
      );
    }
    expect(snapshot(base)).toEqual(before);
  });
});
