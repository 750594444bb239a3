// A bounded buffer of log lines: a pod writing a million lines keeps only the newest
// `capacity` (older ones are counted as dropped), so memory stays flat and the list stays fast.

export class LogBuffer {
  private buf: string[] = [];
  private start = 0;
  /** Lines ever appended (including dropped ones). */
  total = 0;

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.buf.length - this.start;
  }

  get dropped(): number {
    return this.total - this.length;
  }

  append(lines: readonly string[]): void {
    this.total += lines.length;
    for (const l of lines) this.buf.push(l);
    const excess = this.length - this.capacity;
    if (excess > 0) this.start += excess;
    // Compact now and then so the array doesn't grow without bound.
    if (this.start > this.capacity) {
      this.buf = this.buf.slice(this.start);
      this.start = 0;
    }
  }

  at(i: number): string {
    return this.buf[this.start + i] ?? '';
  }

  clear(): void {
    this.buf = [];
    this.start = 0;
    this.total = 0;
  }

  toArray(): string[] {
    return this.buf.slice(this.start);
  }
}

/** Indices of lines containing `query` (case-insensitive); all indices when the query is empty. */
export function matchingLines(buffer: LogBuffer, query: string): number[] {
  const out: number[] = [];
  const q = query.toLowerCase();
  for (let i = 0; i < buffer.length; i++) if (!q || buffer.at(i).toLowerCase().includes(q)) out.push(i);
  return out;
}

/** Splits text into parts, marking where `query` occurs (case-insensitive), for highlighting. */
export function highlightParts(text: string, query: string): { text: string; match: boolean }[] {
  if (!query) return [{ text, match: false }];
  const parts: { text: string; match: boolean }[] = [];
  const lower = text.toLowerCase();
  const q = query.toLowerCase();
  let at = 0;
  for (let i = lower.indexOf(q); i !== -1; i = lower.indexOf(q, at)) {
    if (i > at) parts.push({ text: text.slice(at, i), match: false });
    parts.push({ text: text.slice(i, i + q.length), match: true });
    at = i + q.length;
  }
  if (at < text.length) parts.push({ text: text.slice(at), match: false });
  return parts;
}

/** "2026-11-28T17:00:00.123456789Z rest" → the timestamp and the rest (kubelet's timestamps=true format). */
export function splitTimestamp(line: string): { ts: string | undefined; text: string } {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (.*)$/s.exec(line);
  return m ? { ts: m[1], text: m[2] ?? '' } : { ts: undefined, text: line };
}
