// The migration backend for a local directory: a hostPath setup's data folder, or a PVC
// mounted locally. Moves are renames inside B; files are moved with link+unlink so an
// existing destination is never replaced, folders with rename onto a free name.
import { constants, type Dirent, linkSync, lstatSync, mkdirSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { access, appendFile, lstat, mkdir, open, readFile, rename, rmdir } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { FileStat, MigrationBackend, Step, StepOutcome } from './backend.js';
import type { Entry } from './plan.js';

/** Roots the scan walks, and how deep (undefined: all the way). */
const SCAN_ROOTS: [string, number | undefined][] = [
  ['threads', undefined],
  ['agents', undefined],
  ['skills/custom', undefined],
  ['users', 4], // users/{u}/threads/{t}, users/{u}/skills/custom/{s}
  ['migration-conflicts', 2],
];
const SCAN_FILES = ['memory.json', 'memory.legacy.json', 'deer-flow.db'];

export class LocalBackend implements MigrationBackend {
  readonly description: string;
  readonly stepBatch = 500;
  private readonly base: string;

  constructor(baseDir: string) {
    this.base = resolve(baseDir);
    this.description = this.base;
  }

  /** Absolute path of a relative one, refusing anything that would leave B. */
  private abs(rel: string): string {
    if (rel.startsWith('/') || rel.split('/').some((s) => s === '..' || s === ''))
      throw new Error(`refusing a path outside the base directory: ${rel}`);
    const p = join(this.base, ...rel.split('/'));
    if (p !== this.base && !p.startsWith(this.base + sep)) throw new Error(`refusing a path outside the base directory: ${rel}`);
    return p;
  }

  async checkBase(): Promise<void> {
    const st = await lstat(this.base).catch(() => undefined);
    if (!st) throw new Error(`base directory ${this.base} does not exist`);
    if (!st.isDirectory())
      throw new Error(
        `base directory ${this.base} is not a folder${st.isSymbolicLink() ? ' (it is a symbolic link; pass the real path)' : ''}`,
      );
    await access(this.base, constants.W_OK).catch(() => {
      throw new Error(`base directory ${this.base} is not writable by this user`);
    });
  }

  async scan(): Promise<Entry[]> {
    await this.checkBase();
    const out: Entry[] = [];
    // Synchronous calls in slices: for 100,000 entries they are several times faster than the
    // thread-pool round trip of each async call; yielding every few thousand keeps the event
    // loop (the desktop app's server) responsive. readdir's entry types say which children are
    // folders (no lstat for them; links are never followed); files and links are lstat'ed.
    let sinceYield = 0;
    const walk = async (rel: string, depth: number | undefined): Promise<void> => {
      let dirents: Dirent[];
      try {
        dirents = readdirSync(this.abs(rel), { withFileTypes: true });
      } catch {
        return;
      }
      const subdirs: string[] = [];
      for (const d of dirents) {
        const childRel = `${rel}/${d.name}`;
        if (d.isDirectory()) {
          out.push({ path: childRel, type: 'dir', size: 0 });
          subdirs.push(childRel);
          continue;
        }
        const st = lstatSync(this.abs(childRel));
        out.push({ path: childRel, type: st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : 'file', size: st.size });
      }
      sinceYield += dirents.length;
      if (sinceYield > 5000) {
        sinceYield = 0;
        await new Promise((r) => setImmediate(r));
      }
      if (depth === undefined || depth > 1) for (const d of subdirs) await walk(d, depth === undefined ? undefined : depth - 1);
    };
    for (const f of SCAN_FILES) {
      const st = await lstat(this.abs(f)).catch(() => undefined);
      if (st)
        out.push({
          path: f,
          type: st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : 'file',
          size: st.isDirectory() ? 0 : st.size,
        });
    }
    for (const [root, depth] of SCAN_ROOTS) {
      const st = await lstat(this.abs(root)).catch(() => undefined);
      if (!st) continue;
      if (!SCAN_FILES.includes(root))
        out.push({ path: root, type: st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : 'file', size: 0 });
      if (st.isDirectory()) await walk(root, depth);
    }
    // The scan roots never include the journal folder.
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async stat(rel: string): Promise<FileStat | undefined> {
    const st = await lstat(this.abs(rel)).catch(() => undefined);
    if (!st) return undefined;
    return { type: st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : 'file', size: st.size, id: `${st.dev}:${st.ino}` };
  }

  /**
   * The step logic with synchronous calls (a few microseconds each, against tens for the
   * async thread-pool path), yielding every few hundred steps.
   */
  async applySteps(steps: Step[]): Promise<StepOutcome[]> {
    const out: StepOutcome[] = [];
    const madeDirs = new Set<string>();
    for (let i = 0; i < steps.length; i++) {
      const { from, to } = steps[i] as Step;
      const src = this.abs(from);
      const dst = this.abs(to);
      const a = lstatSync(src, { throwIfNoEntry: false });
      const b = lstatSync(dst, { throwIfNoEntry: false });
      if (!a) out.push(b ? 'already' : 'vanished');
      else if (b) {
        const same = !a.isDirectory() && a.dev === b.dev && a.ino === b.ino;
        if (same) unlinkSync(src);
        out.push(same ? 'deduplicated' : 'both-exist');
      } else {
        const parent = dirname(dst);
        if (!madeDirs.has(parent)) {
          mkdirSync(parent, { recursive: true });
          madeDirs.add(parent);
        }
        if (a.isDirectory()) renameSync(src, dst);
        else {
          linkSync(src, dst); // fails rather than replace a file that appeared meanwhile
          unlinkSync(src);
        }
        out.push('moved');
      }
      if (i % 500 === 499) await new Promise((r) => setImmediate(r));
    }
    return out;
  }

  async removeDirIfEmpty(rel: string): Promise<boolean> {
    try {
      await rmdir(this.abs(rel)); // fails unless empty
      return true;
    } catch {
      return false;
    }
  }

  async sizes(paths: string[]): Promise<(number | undefined)[]> {
    const out: (number | undefined)[] = new Array(paths.length);
    for (let i = 0; i < paths.length; i++) {
      out[i] = lstatSync(this.abs(paths[i] as string), { throwIfNoEntry: false })?.size;
      if (i % 5000 === 4999) await new Promise((r) => setImmediate(r)); // stay responsive
    }
    return out;
  }

  async readText(rel: string): Promise<string | undefined> {
    return readFile(this.abs(rel), 'utf8').catch(() => undefined);
  }

  async writeTextAtomic(rel: string, text: string): Promise<void> {
    const p = this.abs(rel);
    await mkdir(dirname(p), { recursive: true });
    // One fixed temporary name: a write cut short is replaced by the next write of that file.
    const tmp = `${p}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, p);
  }

  async appendText(rel: string, text: string): Promise<void> {
    await appendFile(this.abs(rel), text);
  }
}
