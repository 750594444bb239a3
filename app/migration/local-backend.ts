// The migration backend for a local directory: a hostPath setup's data folder, or a PVC
// mounted locally. Moves are renames inside B; files are moved with link+unlink so an
// existing destination is never replaced, folders with rename onto a free name.
import { createHash, randomUUID } from 'node:crypto';
import { constants, type Dirent, linkSync, lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, unlinkSync } from 'node:fs';
import { access, link, lstat, mkdir, open, readFile, rename, rmdir, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { type FileStat, LinkOnTheWayError, type MigrationBackend, MigrationSourceError, type Step, type StepOutcome } from './backend.js';
import type { Entry } from './plan.js';

/** Roots the scan walks, and how deep (undefined: all the way). */
const SCAN_ROOTS: [string, number | undefined][] = [
  ['threads', undefined],
  ['agents', undefined],
  ['skills/custom', undefined],
  ['users', 4], // users/{u}/threads/{t}, users/{u}/skills/custom/{s}
  ['migration-conflicts', 2],
  ['.deer-flow-migration', 1], // its files say whether a run or an undo is unfinished
];
/** Looked at alone: the legacy files, and the journal folder (a link there is refused). */
const SCAN_FILES = ['memory.json', 'memory.legacy.json', 'deer-flow.db', '.deer-flow-migration'];
const { O_WRONLY, O_CREAT, O_TRUNC, O_EXCL, O_APPEND, O_NOFOLLOW } = constants;

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
    // The root folder ends in a separator already (`/`, `C:\\`): '//' would match nothing.
    const inside = this.base.endsWith(sep) ? this.base : this.base + sep;
    if (p !== this.base && !p.startsWith(inside)) throw new Error(`refusing a path outside the base directory: ${rel}`);
    return p;
  }

  /**
   * Refuses a path whose folders on the way from B include a symbolic link: a move, journal or
   * report write through `B/users -> /elsewhere` would land outside B. The last part may be a
   * link (links move as links, and lstat never follows it). `verified` remembers the folders
   * checked in one batch of work, so 100,000 moves do not lstat the same folder each time.
   */
  private checkedAbs(rel: string, verified = new Set<string>()): string {
    const p = this.abs(rel);
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (verified.has(prefix)) continue;
      const st = lstatSync(join(this.base, ...parts.slice(0, i)), { throwIfNoEntry: false });
      if (!st) break; // nothing below it exists either
      if (st.isSymbolicLink()) throw new LinkOnTheWayError(this.base, prefix);
      verified.add(prefix);
    }
    return p;
  }

  async checkBase(): Promise<void> {
    const st = await lstat(this.base).catch(() => undefined);
    if (!st) throw new MigrationSourceError(`base directory ${this.base} does not exist`);
    if (!st.isDirectory())
      throw new MigrationSourceError(
        `base directory ${this.base} is not a folder${st.isSymbolicLink() ? ' (it is a symbolic link; pass the real path)' : ''}`,
      );
    await access(this.base, constants.W_OK).catch(() => {
      throw new MigrationSourceError(`base directory ${this.base} is not writable by this user`);
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
    const st = await lstat(this.checkedAbs(rel)).catch(() => undefined);
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
    const verified = new Set<string>();
    for (let i = 0; i < steps.length; i++) {
      const { from, to } = steps[i] as Step;
      const src = this.checkedAbs(from, verified);
      const dst = this.checkedAbs(to, verified);
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

  async listTree(paths: string[]): Promise<Entry[]> {
    const out: Entry[] = [];
    const verified = new Set<string>();
    const walk = (rel: string) => {
      const st = lstatSync(this.checkedAbs(rel, verified), { throwIfNoEntry: false });
      if (!st) return;
      const type: Entry['type'] = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : 'file';
      out.push({ path: rel, type, size: type === 'dir' ? 0 : st.size });
      if (type === 'dir') for (const name of readdirSync(this.abs(rel))) walk(`${rel}/${name}`);
    };
    for (let i = 0; i < paths.length; i++) {
      walk(paths[i] as string);
      if (i % 200 === 199) await new Promise((r) => setImmediate(r)); // stay responsive
    }
    return out;
  }

  async makeDirs(paths: string[]): Promise<void> {
    for (const rel of paths) {
      mkdirSync(this.checkedAbs(rel), { recursive: true });
      this.checkedAbs(rel); // a folder that appeared on the way meanwhile is checked too
    }
  }

  async removeDirIfEmpty(rel: string): Promise<boolean> {
    try {
      await rmdir(this.checkedAbs(rel)); // fails unless empty
      return true;
    } catch {
      return false;
    }
  }

  async sizes(paths: string[]): Promise<(number | undefined)[]> {
    const out: (number | undefined)[] = new Array(paths.length);
    const verified = new Set<string>();
    for (let i = 0; i < paths.length; i++) {
      out[i] = lstatSync(this.checkedAbs(paths[i] as string, verified), { throwIfNoEntry: false })?.size;
      if (i % 5000 === 4999) await new Promise((r) => setImmediate(r)); // stay responsive
    }
    return out;
  }

  async checksums(paths: string[]): Promise<(string | undefined)[]> {
    const out: (string | undefined)[] = [];
    const verified = new Set<string>();
    for (const rel of paths) {
      const p = this.checkedAbs(rel, verified);
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (!st || st.isDirectory()) out.push(undefined);
      else if (st.isSymbolicLink())
        out.push(
          createHash('sha256')
            .update(`link:${readlinkSync(p)}`)
            .digest('hex'),
        );
      else {
        const hash = createHash('sha256');
        // O_NOFOLLOW: a file swapped for a link since the lstat is not followed out of B.
        const fh = await open(p, constants.O_RDONLY | O_NOFOLLOW);
        try {
          for await (const chunk of fh.createReadStream({ highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
        } finally {
          await fh.close();
        }
        out.push(hash.digest('hex'));
      }
    }
    return out;
  }

  async readText(rel: string): Promise<string | undefined> {
    const p = this.checkedAbs(rel);
    const st = await lstat(p).catch(() => undefined);
    if (st?.isSymbolicLink()) throw new LinkOnTheWayError(this.base, rel);
    return st ? readFile(p, 'utf8').catch(() => undefined) : undefined;
  }

  async writeTextAtomic(rel: string, text: string): Promise<void> {
    const p = this.checkedAbs(rel);
    await mkdir(dirname(p), { recursive: true });
    this.checkedAbs(rel); // the folders mkdir made are real ones; one that appeared meanwhile is checked
    // One fixed temporary name: a write cut short is replaced by the next write of that file.
    // Never through a link planted at that name.
    const tmp = `${p}.tmp`;
    const fh = await open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0o644);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, p);
  }

  async appendText(rel: string, text: string): Promise<void> {
    const fh = await open(this.checkedAbs(rel), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0o644);
    try {
      await fh.writeFile(text);
    } finally {
      await fh.close();
    }
  }

  /**
   * Creates `rel` holding `text`, or answers false when it exists. Never seen empty: the text
   * is written and synced to a file of this process first and then hard-linked into place
   * (link is atomic and fails when the name is taken). Opening the name with O_EXCL and then
   * writing left an empty lock when the process was killed in between, and an empty lock names
   * no holder, so every later run refused.
   */
  async createExclusive(rel: string, text: string): Promise<boolean> {
    const p = this.checkedAbs(rel);
    await mkdir(dirname(p), { recursive: true });
    this.checkedAbs(rel);
    // Unique per call, not per process: runs in one process (the app, tests) race for one lock.
    const tmpRel = `${rel}.${randomUUID()}.tmp`;
    const tmp = this.checkedAbs(tmpRel);
    const fh = await open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
    try {
      try {
        await fh.writeFile(text);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await link(tmp, p);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  async removeFile(rel: string): Promise<void> {
    await unlink(this.checkedAbs(rel)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
}
