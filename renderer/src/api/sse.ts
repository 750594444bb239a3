// Server-sent events read over fetch (not EventSource): fetch can send the token in a header,
// so the token never appears in a URL, a log or the browser history.

/** Splits a buffer into complete SSE messages' data (JSON-parsed); returns what is left over. */
export function parseSse(buffer: string): { data: unknown[]; rest: string } {
  const data: unknown[] = [];
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    const lines = block.split(/\r?\n/).filter((l) => l.startsWith('data:'));
    if (!lines.length) continue; // comments (keep-alive) and retry: lines
    const text = lines.map((l) => l.slice(5).replace(/^ /, '')).join('\n');
    try {
      data.push(JSON.parse(text));
    } catch {
      // a malformed message is skipped, not fatal
    }
  }
  return { data, rest };
}

/** Reads one SSE response to its end, calling onData per message. */
export async function readSse(body: ReadableStream<Uint8Array>, onData: (d: unknown) => void, signal?: AbortSignal): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const cancel = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener('abort', cancel, { once: true });
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      const parsed = parseSse(buffer);
      buffer = parsed.rest;
      for (const d of parsed.data) onData(d);
    }
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
}
