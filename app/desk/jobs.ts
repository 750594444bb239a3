// Long work the UI starts and watches: a migration, a kind cluster being created, an image
// being loaded. Each job keeps its last output lines and progress, can be cancelled, and
// reports every change to listeners (the desk API pushes them as `job` events, at most
// every 100 ms per job so a chatty tool doesn't flood the window).

import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { AppError } from '../errors.js';
import type { JobKind, JobResults, JobView } from './contract.js';

const MAX_LINES = 200;
const EMIT_EVERY_MS = 100;

export class JobNotFoundError extends AppError {
  constructor(readonly jobId: string) {
    super('not-found', `no job ${jobId}`);
  }
}

export interface JobContext {
  signal: AbortSignal;
  line: (text: string) => void;
  progress: (done: number, total: number) => void;
}

export class JobRegistry {
  /** Emits 'job' with a JobView snapshot. */
  readonly events = new EventEmitter();
  private readonly jobs = new Map<string, { view: JobView; abort: AbortController; timer?: NodeJS.Timeout; dirty: boolean }>();

  start<K extends JobKind>(
    kind: K,
    title: string,
    run: (ctx: JobContext) => Promise<JobResults[K]>,
    opts: { cancellable?: boolean } = {},
  ): JobView {
    const id = randomUUID();
    const view = {
      id,
      kind,
      title,
      state: 'running',
      cancellable: opts.cancellable ?? true,
      lines: [],
      progress: undefined,
      error: undefined,
      result: undefined,
      revision: 0,
    } as JobView;
    const entry = { view, abort: new AbortController(), dirty: false } as {
      view: JobView;
      abort: AbortController;
      timer?: NodeJS.Timeout;
      dirty: boolean;
    };
    this.jobs.set(id, entry);
    const changed = () => {
      entry.dirty = true;
      if (entry.timer) return;
      entry.timer = setTimeout(() => {
        entry.timer = undefined;
        this.flush(entry);
      }, EMIT_EVERY_MS);
    };
    const ctx: JobContext = {
      signal: entry.abort.signal,
      line: (text) => {
        view.lines.push(text);
        if (view.lines.length > MAX_LINES) view.lines.splice(0, view.lines.length - MAX_LINES);
        changed();
      },
      progress: (done, total) => {
        view.progress = { done, total };
        changed();
      },
    };
    run(ctx).then(
      // Work that finished is done, even if a cancel came too late to stop it.
      (result) => this.finish(entry, 'done', undefined, result),
      (e: unknown) => this.finish(entry, entry.abort.signal.aborted ? 'cancelled' : 'failed', (e as Error)?.message ?? String(e)),
    );
    this.emit(view);
    return structuredClone(view);
  }

  private finish(entry: { view: JobView; timer?: NodeJS.Timeout }, state: JobView['state'], error?: string, result?: JobResults[JobKind]) {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.view.state = state;
    entry.view.error = error;
    entry.view.result = result;
    this.emit(entry.view);
  }

  private flush(entry: { view: JobView; dirty: boolean }) {
    if (!entry.dirty) return;
    entry.dirty = false;
    this.emit(entry.view);
  }

  private emit(view: JobView) {
    view.revision += 1;
    this.events.emit('job', structuredClone(view));
  }

  list(): JobView[] {
    return [...this.jobs.values()].map((j) => structuredClone(j.view));
  }

  get(id: string): JobView | undefined {
    const j = this.jobs.get(id);
    return j && structuredClone(j.view);
  }

  /** Asks the job to stop; its state becomes `cancelled` when it has. */
  cancel(id: string): JobView {
    const j = this.jobs.get(id);
    if (!j) throw new JobNotFoundError(id);
    if (j.view.state === 'running' && j.view.cancellable) j.abort.abort();
    return structuredClone(j.view);
  }

  /** Waits for running jobs to end (used at shutdown and in tests). */
  async idle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ([...this.jobs.values()].some((j) => j.view.state === 'running') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
  }
}
