// The serve command's log: timestamped lines, written together once per turn of the event
// loop. stderr is a pipe wherever the provisioner runs as a service (journald, a container's
// log, a parent process), and a write to a pipe is a system call of its own: profiled in a
// 32-way create burst, a line per create cost about 0.2 ms of CPU, on the path every create's
// answer waits on. Lines keep their order, and whatever is pending is written when the
// process exits (normally, by process.exit, or on an uncaught exception).

export interface LineLog {
  (line: string): void;
  /** Writes what is pending now (before anything else writes to the same stream). */
  flush(): void;
}

export function lineLog(write: (text: string) => void, now: () => Date = () => new Date()): LineLog {
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    write(text);
  };
  const log = ((line: string) => {
    if (pending.push(`${now().toISOString()} ${line}\n`) === 1) setImmediate(flush);
  }) as LineLog;
  log.flush = flush;
  return log;
}

/** The process's stderr log, flushed on exit. */
export function stderrLog(): LineLog {
  const log = lineLog((text) => process.stderr.write(text));
  process.on('exit', log.flush);
  return log;
}
