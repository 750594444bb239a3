// What the executor needs from a place that holds DeerFlow data. One interface, two
// adapters: a local directory (local-backend.ts) and a PVC reached through a helper Pod.
// Paths are relative to the base directory B, with "/" separators; no operation may reach
// outside B or follow a symbolic link.
import { AppError } from '../errors.js';
import type { Entry } from './plan.js';

export interface FileStat {
  type: Entry['type'];
  size: number;
  /** Identity of the underlying file, to recognise two names of one file (a half-done move). */
  id: string;
}

/**
 * What became of one planned step, judged from the disk:
 * moved — done now; already — done before (legacy gone, destination there);
 * deduplicated — a file move cut short left two names, the legacy one was dropped;
 * vanished — neither is there; both-exist — the destination appeared since planning.
 */
export type StepOutcome = 'moved' | 'already' | 'deduplicated' | 'vanished' | 'both-exist';

export interface Step {
  from: string;
  to: string;
}

export interface MigrationBackend {
  /** A human-readable name of the place (a path, or pvc/<claim>). */
  readonly description: string;
  /** How many steps to hand to applySteps at once. */
  readonly stepBatch: number;
  /** Refuses (MigrationSourceError) a base folder that is missing, not a folder, or not writable. */
  checkBase(): Promise<void>;
  /** Every entry under the legacy roots, and the per-user / conflict places (to a useful depth). */
  scan(): Promise<Entry[]>;
  stat(path: string): Promise<FileStat | undefined>;
  /**
   * Carries out steps whose sources and destinations are all distinct. A backend may batch
   * them (the PVC backend sends hundreds per exec); never replaces an existing destination
   * (folders are renamed onto a free name, files linked then unlinked); symbolic links move
   * as links.
   */
  applySteps(steps: Step[]): Promise<StepOutcome[]>;
  /**
   * Every entry at and under each path (links not followed; missing paths give nothing):
   * what undo compares with a run's manifest to find what changed since.
   */
  listTree(paths: string[]): Promise<Entry[]>;
  /** Creates folders (and their parents) that are missing; existing ones are left as they are. */
  makeDirs(paths: string[]): Promise<void>;
  /** Removes a folder if it is empty; true when removed. */
  removeDirIfEmpty(path: string): Promise<boolean>;
  /** Sizes of many files at once (verification); missing files map to undefined. */
  sizes(paths: string[]): Promise<(number | undefined)[]>;
  /**
   * SHA-256 (hex) of many files at once (`--verify content`); a symbolic link's is of its
   * target's name ("link:" first), never of what it points to; missing paths map to undefined.
   */
  checksums(paths: string[]): Promise<(string | undefined)[]>;
  readText(path: string): Promise<string | undefined>;
  /** Replaces a small file atomically and durably (write, fsync, rename). */
  writeTextAtomic(path: string, text: string): Promise<void>;
  appendText(path: string, text: string): Promise<void>;
  /** Creates a file that must not exist yet (atomically); false when it exists. */
  createExclusive(path: string, text: string): Promise<boolean>;
  /** Removes a file; a missing one is not an error. */
  removeFile(path: string): Promise<void>;
}

/** The place to migrate cannot be used as given (missing, not a folder, a link, no such claim). */
export class MigrationSourceError extends AppError {
  constructor(message: string) {
    super('invalid', message, [{ field: 'source', message }]);
  }
}

/**
 * A folder on the way from B to a path is a symbolic link: following it would read or write
 * outside B, so the migration stops before touching anything there.
 */
export class LinkOnTheWayError extends AppError {
  constructor(
    readonly base: string,
    readonly link: string,
  ) {
    const message = `${link} in ${base} is a symbolic link: the migration reads and writes only inside ${base} and never follows links. Replace ${link} with a real folder (move what it points to in its place), then run again; nothing was changed there`;
    super('invalid', message, [{ field: 'source', message }]);
  }
}

export class MoveConflictError extends Error {
  readonly code = 'EEXIST';
  constructor(readonly to: string) {
    super(`${to} exists already; not replacing it`);
    this.name = 'MoveConflictError';
  }
}

/** One move by the same rules as a plan step; an existing destination is an error, never replaced. */
export async function moveOne(backend: MigrationBackend, from: string, to: string): Promise<void> {
  const [outcome] = await backend.applySteps([{ from, to }]);
  if (outcome === 'both-exist') throw new MoveConflictError(to);
  if (outcome === 'vanished') throw new Error(`${from} does not exist`);
}
