// Builds legacy DeerFlow base directories for migration tests and benchmarks, and snapshots
// trees to compare them.
import { lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';

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
