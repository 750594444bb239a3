// Builds legacy DeerFlow base directories for migration tests and benchmarks, and snapshots
// trees to compare them.
import { lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { seeded } from './seeded.js';

export interface TreeSpec {
  threads: number;
  filesPerThread: number;
  /** thread id → owner written to deer-flow.db (threads not listed have no owner). */
  owners?: Record<string, string>;
  agents?: string[];
  skills?: string[];
  memory?: boolean;
}

export function writeFile(base: string, rel: string, content: string): void {
  const p = join(base, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, content);
}

export function makeLegacyTree(base: string, spec: TreeSpec): void {
  mkdirSync(base, { recursive: true });
  for (let t = 0; t < spec.threads; t++) {
    for (let f = 0; f < spec.filesPerThread; f++) {
      writeFile(base, `threads/thread-${t}/user-data/outputs/file-${f}.txt`, `thread ${t} file ${f} ${'x'.repeat((t + f) % 50)}`);
    }
  }
  for (const a of spec.agents ?? []) writeFile(base, `agents/${a}/config.yaml`, `name: ${a}\n`);
  for (const s of spec.skills ?? []) writeFile(base, `skills/custom/${s}/SKILL.md`, `# ${s}\n`);
  if (spec.memory) writeFile(base, 'memory.json', '{"facts":[]}');
  if (spec.owners) writeOwners(base, spec.owners);
}

export function writeOwners(base: string, owners: Record<string, string>): void {
  const db = new Database(join(base, 'deer-flow.db'));
  db.exec('CREATE TABLE IF NOT EXISTS threads_meta (thread_id TEXT, user_id TEXT)');
  const insert = db.prepare('INSERT INTO threads_meta (thread_id, user_id) VALUES (?, ?)');
  for (const [t, u] of Object.entries(owners)) insert.run(t, u);
  db.close();
}

export function symlink(base: string, rel: string, target: string): void {
  const p = join(base, rel);
  mkdirSync(dirname(p), { recursive: true });
  symlinkSync(target, p);
}

/** Every file and link under `dir` (relative path → size, or "-> target" for links). Excludes the journal folder. */
export function snapshot(dir: string, skip = ['.deer-flow-migration']): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel))) {
      const childRel = rel ? `${rel}/${name}` : name;
      if (skip.includes(childRel)) continue;
      const st = lstatSync(join(dir, childRel));
      if (st.isSymbolicLink()) out.set(childRel, `-> ${readlinkSync(join(dir, childRel))}`);
      else if (st.isDirectory()) {
        out.set(`${childRel}/`, 'dir');
        walk(childRel);
      } else out.set(childRel, String(st.size));
    }
  };
  walk('');
  return out;
}

/**
 * A legacy base directory with what real ones hold and what makes a migration interesting:
 * nested files of many sizes, empty folders, links (inside threads, and a thread that is a
 * link), stray files, per-user data already there (conflicts), owners in deer-flow.db (one not
 * a valid id now and then), agents in mixed case, skills and their history, memory.json.
 */
export function makeRandomLegacyTree(base: string, seed: number): void {
  const rnd = seeded(seed);
  const pick = (n: number) => Math.floor(rnd() * n);
  const chance = (p: number) => rnd() < p;
  const content = () => 'x'.repeat(pick(300));
  mkdirSync(base, { recursive: true });
  const owners: Record<string, string> = {};
  const threads = 1 + pick(8);
  for (let t = 0; t < threads; t++) {
    const dir = `threads/t-${seed}-${t}`;
    if (chance(0.1)) {
      symlink(base, dir, '/nonexistent/elsewhere');
      continue;
    }
    mkdirSync(join(base, dir), { recursive: true });
    for (let f = pick(5); f > 0; f--)
      writeFile(base, `${dir}/user-data/${['workspace', 'uploads', 'outputs'][pick(3)]}/f${f}.txt`, content());
    if (chance(0.3)) mkdirSync(join(base, dir, 'user-data', 'empty'), { recursive: true });
    if (chance(0.2)) symlink(base, `${dir}/user-data/link`, 'outputs/f1.txt');
    if (chance(0.4)) owners[`t-${seed}-${t}`] = chance(0.1) ? 'not a valid id!' : (['alice', 'bob'][pick(2)] as string);
    if (chance(0.2)) writeFile(base, `users/${owners[`t-${seed}-${t}`] ?? 'default'}/threads/t-${seed}-${t}/existing.txt`, content());
  }
  if (chance(0.3)) writeFile(base, 'threads/stray.txt', content());
  if (chance(0.7)) writeFile(base, 'memory.json', `{"facts":[${'1,'.repeat(pick(20))}0]}`);
  if (chance(0.3)) writeFile(base, 'users/default/memory.json', '{"facts":[]}');
  mkdirSync(join(base, 'agents'), { recursive: true }); // empty now and then: removed, then made again by an undo
  for (let a = pick(3); a > 0; a--) writeFile(base, `agents/${chance(0.5) ? 'Writer' : 'coder'}${a}/config.yaml`, content());
  if (chance(0.3)) mkdirSync(join(base, 'agents', 'Empty'), { recursive: true });
  for (let s = pick(3); s > 0; s--) writeFile(base, `skills/custom/skill-${s}/SKILL.md`, content());
  if (chance(0.3)) writeFile(base, 'skills/custom/.history/log.jsonl', content());
  if (Object.keys(owners).length) writeOwners(base, owners);
}
