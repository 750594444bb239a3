// A sandbox container's log for the UI: read through the Kubernetes log API (followed or not,
// previous container, timestamps, tail) and handed on in batches of lines, at most every 50 ms,
// so a Pod writing fast costs the page a few events a second rather than one per line.
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { type KubeConfig, Log } from '@kubernetes/client-node';
import { podName } from '../sandbox/names.js';
import type { LogEvent, LogsOptions } from './contract.js';

const LOG_BATCH_MS = 50;

/** Streams until the container's stream ends (not following, or it stopped) or `signal` aborts. */
export async function streamSandboxLogs(
  kc: KubeConfig,
  namespace: string,
  id: string,
  opts: LogsOptions,
  onEvent: (e: LogEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  const stream = new PassThrough();
  let batch: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    if (batch.length) onEvent({ type: 'lines', lines: batch });
    batch = [];
  };
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', (line) => {
    batch.push(line);
    timer ??= setTimeout(flush, LOG_BATCH_MS);
  });
  const done = new Promise<string>((resolve) => {
    lines.on('close', () => resolve(opts.follow ? 'the container stopped or the stream closed' : 'end of log'));
    stream.on('error', (e) => resolve(e.message));
    signal.addEventListener('abort', () => resolve('stopped'), { once: true });
  });
  let req: AbortController | undefined;
  try {
    req = await new Log(kc).log(namespace, podName(id), 'sandbox', stream, {
      follow: opts.follow ?? false,
      previous: opts.previous ?? false,
      timestamps: opts.timestamps ?? false,
      ...(opts.tailLines ? { tailLines: opts.tailLines } : {}),
    });
  } catch (e) {
    lines.close();
    onEvent({ type: 'error', message: logError(e, id) });
    return;
  }
  signal.addEventListener('abort', () => req?.abort(), { once: true });
  const reason = await done;
  if (timer) clearTimeout(timer);
  flush();
  onEvent({ type: 'end', reason });
}

/** The API server's own message (its Status JSON), e.g. "container … is waiting to start". */
function logError(e: unknown, id: string): string {
  const body = (e as { body?: unknown })?.body;
  const text = typeof body === 'string' ? body : ((e as Error)?.message ?? String(e));
  try {
    const parsed = JSON.parse(text) as { message?: string };
    if (parsed.message) return `logs of sandbox ${id}: ${parsed.message}`;
  } catch {
    // not JSON: use as is
  }
  return `logs of sandbox ${id}: ${text}`;
}
