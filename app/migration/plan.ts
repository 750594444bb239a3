// The migration planner (docs/migration.md): from a listing of the DeerFlow base directory B and the
// thread owner map, every move, every conflict and everything left in place, with the reason.
// Pure: no filesystem access, so both backends (local folder, PVC) share it and tests can
// feed it generated trees.
import { USER_ID_MAX_LENGTH, userIdProblem } from '../sandbox/names.js';

/** One entry of B, path relative to B with "/" separators. Symlinks are never followed. */
export interface Entry {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  size: number;
}

export type MoveKind = 'thread' | 'memory' | 'agent' | 'skill' | 'skill-history';

export interface Move {
  kind: MoveKind;
  /** Legacy path, relative to B. */
  from: string;
  /** Where it goes, relative to B (the per-user place, or a migration-conflicts/ place). */
  to: string;
  /** True when the per-user place was taken and the legacy copy goes to migration-conflicts. */
  conflict: boolean;
  /** The per-user place this item belongs to (equals `to` unless a conflict). */
  target: string;
  owner: string;
  files: number;
  bytes: number;
  note?: string;
}

export interface LeftInPlace {
  path: string;
  reason: string;
  /**
   * The person has to act for it to be migrated (an owner that is not a valid user id); the
   * rest are notes (a stray file where folders belong), which nothing is lost by leaving.
   */
  needsUser?: boolean;
}

export interface Plan {
  userId: string;
  moves: Move[];
  leftInPlace: LeftInPlace[];
  warnings: string[];
  /** Legacy folders removed at the end if the moves left them empty. */
  removeIfEmpty: string[];
  totals: { threads: number; agents: number; skills: number; memory: number; conflicts: number; files: number; bytes: number };
}

export const CONFLICTS_DIR = 'migration-conflicts';
export const JOURNAL_DIR = '.deer-flow-migration';

function childrenOf(entries: Entry[], dir: string): Entry[] {
  const prefix = `${dir}/`;
  return entries.filter((e) => e.path.startsWith(prefix) && e.path.indexOf('/', prefix.length) === -1);
}

/**
 * The legacy item an entry belongs to (threads/{t}, agents/{a}, skills/custom/{s} or
 * memory.json), so contents are summed in one pass instead of once per move.
 */
export function itemOf(path: string): string | undefined {
  const parts = path.split('/');
  if ((parts[0] === 'threads' || parts[0] === 'agents') && parts.length >= 2) return `${parts[0]}/${parts[1]}`;
  if (parts[0] === 'skills' && parts[1] === 'custom' && parts.length >= 3) return `skills/custom/${parts[2]}`;
  if (path === 'memory.json') return path;
  return undefined;
}

/** Files (symlinks count as files: they move as links) and bytes per legacy item. */
function contentsByItem(entries: Entry[]): Map<string, { files: number; bytes: number }> {
  const out = new Map<string, { files: number; bytes: number }>();
  for (const e of entries) {
    if (e.type === 'dir') continue;
    const item = itemOf(e.path);
    if (!item) continue;
    const c = out.get(item) ?? { files: 0, bytes: 0 };
    c.files++;
    c.bytes += e.size;
    out.set(item, c);
  }
  return out;
}

/**
 * Whether an id can become a folder name under users/: the API's rule, length included (a
 * 10,000-letter owner made the run fail half-way with ENAMETOOLONG, and every rerun again).
 */
export function isValidUserId(id: string): boolean {
  return userIdProblem(id) === undefined;
}

/**
 * The first folder on the way from B to a place the run writes (a destination, the journal
 * and report folder) that the scan found to be a symbolic link; undefined when there is none.
 * The last part of a destination is not looked at: it is where the item will go.
 */
export function linkOnTheWay(entries: Entry[], plan: Pick<Plan, 'moves'>): string | undefined {
  const links = new Set(entries.filter((e) => e.type === 'symlink').map((e) => e.path));
  if (links.size === 0) return undefined;
  if (links.has(JOURNAL_DIR)) return JOURNAL_DIR;
  for (const m of plan.moves) {
    const parts = m.to.split('/');
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (links.has(prefix)) return prefix;
    }
  }
  return undefined;
}

/** A value for a message: quoted, and cut to a readable length. */
function shortForm(value: string): string {
  return value.length <= 60 ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, 40))}… (${value.length} characters)`;
}

export function planMigration(entries: Entry[], ownerMap: ReadonlyMap<string, string>, userId: string): Plan {
  if (!isValidUserId(userId)) throw new Error(`user id ${JSON.stringify(userId)} is not valid: use letters, digits, "_" and "-"`);
  const exists = new Set(entries.map((e) => e.path));
  const contents = contentsByItem(entries);
  const contentOf = (item: string) => contents.get(item) ?? { files: 0, bytes: 0 };
  const typeOf = new Map(entries.map((e) => [e.path, e.type]));
  const taken = new Set<string>(); // destinations claimed by earlier moves of this plan
  const isFree = (p: string) => !exists.has(p) && !taken.has(p);
  const moves: Move[] = [];
  const leftInPlace: LeftInPlace[] = [];
  const warnings: string[] = [];

  /** A free place under migration-conflicts/: `name`, else `name.1`, `name.2`, … */
  const conflictPlace = (base: string) => {
    if (isFree(base)) return base;
    for (let i = 1; ; i++) if (isFree(`${base}.${i}`)) return `${base}.${i}`;
  };
  const add = (kind: MoveKind, from: string, target: string, conflictBase: string, owner: string, note?: string) => {
    const conflict = !isFree(target);
    const to = conflict ? conflictPlace(conflictBase) : target;
    taken.add(to);
    const m: Move = { kind, from, to, conflict, target, owner, ...contentOf(from) };
    if (note) m.note = note;
    moves.push(m);
  };

  // threads/{tid} → users/{owner}/threads/{tid}
  if (typeOf.get('threads') === 'dir') {
    for (const e of childrenOf(entries, 'threads').sort((a, b) => (a.path < b.path ? -1 : 1))) {
      const tid = e.path.slice('threads/'.length);
      if (e.type === 'file') {
        leftInPlace.push({ path: e.path, reason: 'a file, not a thread folder' });
        continue;
      }
      const recorded = ownerMap.get(tid);
      if (recorded !== undefined && !isValidUserId(recorded)) {
        leftInPlace.push({
          needsUser: true,
          path: e.path,
          reason: `its owner in deer-flow.db, ${shortForm(recorded)}, is not a valid user id (1 to ${USER_ID_MAX_LENGTH} letters, digits, "_" and "-"); fix threads_meta or move it by hand`,
        });
        continue;
      }
      const owner = recorded ?? userId;
      const note = e.type === 'symlink' ? 'a symbolic link: moved as a link, its target untouched' : undefined;
      add('thread', e.path, `users/${owner}/threads/${tid}`, `${CONFLICTS_DIR}/threads/${tid}`, owner, note);
      if (recorded === undefined) warnings.push(`thread ${tid} has no owner in deer-flow.db and goes to user ${userId}`);
    }
  }

  // memory.json → users/{U}/memory.json, or renamed memory.legacy.json when that place is taken
  const memType = typeOf.get('memory.json');
  if (memType === 'file' || memType === 'symlink') {
    const target = `users/${userId}/memory.json`;
    if (isFree(target)) add('memory', 'memory.json', target, '', userId);
    else {
      const to = isFree('memory.legacy.json') ? 'memory.legacy.json' : conflictPlace(`${CONFLICTS_DIR}/memory.json`);
      taken.add(to);
      moves.push({ kind: 'memory', from: 'memory.json', to, conflict: true, target, owner: userId, ...contentOf('memory.json') });
    }
  } else if (memType === 'dir') {
    leftInPlace.push({ path: 'memory.json', reason: 'a folder named memory.json, not the memory file' });
  }

  // agents/{name} → users/{U}/agents/{lower-case name}
  if (typeOf.get('agents') === 'dir') {
    for (const e of childrenOf(entries, 'agents').sort((a, b) => (a.path < b.path ? -1 : 1))) {
      const name = e.path.slice('agents/'.length);
      if (e.type === 'file') {
        leftInPlace.push({ path: e.path, reason: 'a file, not an agent folder' });
        continue;
      }
      const lower = name.toLowerCase();
      const note = lower !== name ? `renamed to ${lower}: DeerFlow looks agents up in lower case` : undefined;
      add('agent', e.path, `users/${userId}/agents/${lower}`, `${CONFLICTS_DIR}/agents/${name}`, userId, note);
    }
  }

  // skills/custom/{name} and skills/custom/.history → users/{U}/skills/custom/…
  if (typeOf.get('skills/custom') === 'dir') {
    for (const e of childrenOf(entries, 'skills/custom').sort((a, b) => (a.path < b.path ? -1 : 1))) {
      const name = e.path.slice('skills/custom/'.length);
      if (e.type === 'file') {
        leftInPlace.push({ path: e.path, reason: 'a file, not a skill folder' });
        continue;
      }
      const kind: MoveKind = name === '.history' ? 'skill-history' : 'skill';
      add(kind, e.path, `users/${userId}/skills/custom/${name}`, `${CONFLICTS_DIR}/skills/${name}`, userId);
    }
  }

  for (const m of moves) if (m.conflict) warnings.push(`${m.from}: ${m.target} exists already; the legacy copy goes to ${m.to}`);

  const count = (k: MoveKind[]) => moves.filter((m) => k.includes(m.kind)).length;
  return {
    userId,
    moves,
    leftInPlace,
    warnings,
    removeIfEmpty: ['threads', 'agents', 'skills/custom'].filter((d) => typeOf.get(d) === 'dir'),
    totals: {
      threads: count(['thread']),
      agents: count(['agent']),
      skills: count(['skill', 'skill-history']),
      memory: count(['memory']),
      conflicts: moves.filter((m) => m.conflict).length,
      files: moves.reduce((n, m) => n + m.files, 0),
      bytes: moves.reduce((n, m) => n + m.bytes, 0),
    },
  };
}
