import { describe, expect, it } from 'vitest';
import { type Entry, planMigration } from '../../app/migration/plan.js';

/** Entries from a compact description: "path/" is a folder, "path -> x" a link, else a file of 10 bytes. */
function tree(...paths: string[]): Entry[] {
  const out = new Map<string, Entry>();
  for (const raw of paths) {
    const isLink = raw.includes(' -> ');
    const path = raw.replace(/ -> .*$/, '').replace(/\/$/, '');
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!out.has(dir)) out.set(dir, { path: dir, type: 'dir', size: 0 });
    }
    out.set(path, { path, type: isLink ? 'symlink' : raw.endsWith('/') ? 'dir' : 'file', size: isLink ? 5 : raw.endsWith('/') ? 0 : 10 });
  }
  return [...out.values()];
}
const none = new Map<string, string>();
const simple = (p: ReturnType<typeof planMigration>) => p.moves.map((m) => `${m.from} => ${m.to}${m.conflict ? ' (conflict)' : ''}`);

describe('planMigration', () => {
  it('moves threads to their owners, the rest to the target user', () => {
    const plan = planMigration(tree('threads/t1/a.txt', 'threads/t2/b.txt', 'threads/t3/'), new Map([['t1', 'alice']]), 'bob');
    expect(simple(plan)).toEqual([
      'threads/t1 => users/alice/threads/t1',
      'threads/t2 => users/bob/threads/t2',
      'threads/t3 => users/bob/threads/t3',
    ]);
    expect(plan.totals).toMatchObject({ threads: 3, files: 2, bytes: 20, conflicts: 0 });
    expect(plan.warnings).toEqual([
      'thread t2 has no owner in deer-flow.db and goes to user bob',
      'thread t3 has no owner in deer-flow.db and goes to user bob',
    ]);
    expect(plan.removeIfEmpty).toEqual(['threads']);
  });

  it.each(['../x', '../../etc', 'a/b', '', 'al ice', '..', 'ünïcode'])(
    'never turns the owner %j into a path: the thread stays, with the reason',
    (owner) => {
      const plan = planMigration(tree('threads/t1/a.txt'), new Map([['t1', owner]]), 'default');
      expect(plan.moves).toEqual([]);
      expect(plan.leftInPlace).toEqual([
        { path: 'threads/t1', reason: expect.stringContaining('is not a valid user id'), needsUser: true },
      ]);
    },
  );

  it('sends a legacy thread whose per-user place exists to migration-conflicts, never overwriting', () => {
    const plan = planMigration(tree('threads/t1/a.txt', 'users/default/threads/t1/old.txt'), none, 'default');
    expect(simple(plan)).toEqual(['threads/t1 => migration-conflicts/threads/t1 (conflict)']);
    expect(plan.moves[0]?.target).toBe('users/default/threads/t1');
  });

  it('picks a free conflict place when migration-conflicts already holds one', () => {
    const plan = planMigration(
      tree('threads/t1/a', 'users/u/threads/t1/', 'migration-conflicts/threads/t1/', 'migration-conflicts/threads/t1.1/'),
      none,
      'u',
    );
    expect(plan.moves[0]?.to).toBe('migration-conflicts/threads/t1.2');
  });

  it('memory.json: moved to the target user, or renamed memory.legacy.json when taken', () => {
    expect(simple(planMigration(tree('memory.json'), none, 'u'))).toEqual(['memory.json => users/u/memory.json']);
    expect(simple(planMigration(tree('memory.json', 'users/u/memory.json'), none, 'u'))).toEqual([
      'memory.json => memory.legacy.json (conflict)',
    ]);
    expect(simple(planMigration(tree('memory.json', 'users/u/memory.json', 'memory.legacy.json'), none, 'u'))).toEqual([
      'memory.json => migration-conflicts/memory.json (conflict)',
    ]);
  });

  it('lower-cases agent names; a second agent differing only in case is a conflict', () => {
    const plan = planMigration(tree('agents/Writer/c.yaml', 'agents/writer/c.yaml', 'agents/coder/c.yaml'), none, 'u');
    expect(simple(plan)).toEqual([
      'agents/Writer => users/u/agents/writer',
      'agents/coder => users/u/agents/coder',
      'agents/writer => migration-conflicts/agents/writer (conflict)',
    ]);
    expect(plan.moves[0]?.note).toMatch(/lower case/);
  });

  it('moves custom skills and their .history, conflicts to migration-conflicts/skills', () => {
    const plan = planMigration(
      tree('skills/custom/s1/SKILL.md', 'skills/custom/.history/x', 'skills/public/p/SKILL.md', 'users/u/skills/custom/.history/'),
      none,
      'u',
    );
    expect(simple(plan)).toEqual([
      'skills/custom/.history => migration-conflicts/skills/.history (conflict)',
      'skills/custom/s1 => users/u/skills/custom/s1',
    ]);
    expect(plan.moves.map((m) => m.kind)).toEqual(['skill-history', 'skill']);
    expect(plan.removeIfEmpty).toEqual(['skills/custom']); // never skills/ itself: public skills live there
  });

  it('leaves stray files where they are, with the reason', () => {
    const plan = planMigration(tree('threads/notes.txt', 'agents/README', 'skills/custom/x.md'), none, 'u');
    expect(plan.moves).toEqual([]);
    expect(plan.leftInPlace.map((l) => l.path)).toEqual(['threads/notes.txt', 'agents/README', 'skills/custom/x.md']);
  });

  it('moves symbolic links as links (counted as one file), whatever they point to', () => {
    const plan = planMigration(tree('threads/t1 -> /etc', 'threads/t2/link -> ../../../outside'), none, 'u');
    expect(simple(plan)).toEqual(['threads/t1 => users/u/threads/t1', 'threads/t2 => users/u/threads/t2']);
    expect(plan.moves[0]).toMatchObject({ files: 1, note: expect.stringContaining('symbolic link') });
    expect(plan.moves[1]?.files).toBe(1);
  });

  it('handles unicode and empty thread folders', () => {
    const plan = planMigration(tree('threads/thread-日本/файл.txt', 'threads/empty/'), none, 'u');
    expect(simple(plan)).toEqual(['threads/empty => users/u/threads/empty', 'threads/thread-日本 => users/u/threads/thread-日本']);
    expect(plan.moves[0]?.files).toBe(0);
  });

  it('is empty for an already migrated tree (re-running is a no-op)', () => {
    const plan = planMigration(tree('users/u/threads/t1/a', 'users/u/memory.json', 'migration-conflicts/threads/t2/'), none, 'u');
    expect(plan.moves).toEqual([]);
    expect(plan.removeIfEmpty).toEqual([]);
  });

  it('never plans two moves to one place', () => {
    const entries = tree(
      ...Array.from({ length: 50 }, (_, i) => `agents/${i % 2 ? 'A' : 'a'}gent${Math.floor(i / 2)}/x`),
      'users/u/agents/agent3/',
    );
    const tos = planMigration(entries, none, 'u').moves.map((m) => m.to);
    expect(new Set(tos).size).toBe(tos.length);
  });

  it('rejects an invalid target user', () => {
    expect(() => planMigration([], none, '../root')).toThrow(/not valid/);
  });
});
