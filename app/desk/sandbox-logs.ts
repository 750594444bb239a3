// A sandbox container's log for the UI: read through the Kubernetes log API (followed or not,
// previous container, timestamps, tail) and handed on in batches of lines, at most every 50 ms,
// so a Pod writing fast costs the page a few events a second rather than one per line.
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { type KubeConfig, Log, type V1Pod } from '@kubernetes/client-node';
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
  /** The Pod as it is now, read only when the log request fails, to say why in a sentence. */
  podNow: () => Promise<V1Pod | undefined> = async () => undefined,
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
    const pod = await podNow().catch(() => undefined);
    onEvent({ type: 'error', message: logProblem({ id, status: (e as { code?: number })?.code, detail: apiMessage(e), pod, opts }) });
    return;
  }
  signal.addEventListener('abort', () => req?.abort(), { once: true });
  const reason = await done;
  if (timer) clearTimeout(timer);
  flush();
  onEvent({ type: 'end', reason });
}

/** The API server's own words when it sent a Status (only for some codes), else nothing. */
function apiMessage(e: unknown): string | undefined {
  const body = (e as { body?: unknown })?.body;
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string')
    return (body as { message: string }).message;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed.message === 'string') return parsed.message;
    } catch {
      // not JSON
    }
  }
  return undefined;
}

/**
 * Why the logs of a sandbox could not be read, as a sentence that says what to do. The log API
 * answers most refusals with a bare status code (the client keeps no body), so the Pod as it is
 * now decides: gone, not started yet, no previous container. Never the client's raw dump.
 */
export function logProblem(p: {
  id: string;
  status: number | undefined;
  detail: string | undefined;
  pod: V1Pod | undefined;
  opts: LogsOptions;
}): string {
  const { id, pod, opts } = p;
  if (!pod || p.status === 404) return `Sandbox ${id} no longer exists (it was deleted), so it has no logs to show.`;
  const container = pod.status?.containerStatuses?.find((c) => c.name === 'sandbox') ?? pod.status?.containerStatuses?.[0];
  if (opts.previous && !container?.lastState?.terminated && (container?.restartCount ?? 0) === 0)
    return `Sandbox ${id}'s container has not restarted, so there is no previous container to read: turn "previous container" off.`;
  const waiting = container?.state?.waiting;
  if (!container || waiting) {
    const why = waiting?.reason ? ` (${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''})` : '';
    return `Sandbox ${id}'s container has not started yet${why}: its logs appear once it runs; the Events tab says what it is waiting for.`;
  }
  if (p.status === 401 || p.status === 403)
    return `The cluster refused to show sandbox ${id}'s logs (HTTP ${p.status}): the kubeconfig's user needs "get" on pods/log in the namespace.`;
  const words = p.detail ? `: ${p.detail}` : '';
  return `The logs of sandbox ${id} could not be read (HTTP ${p.status ?? 'error'}${words}). Try again; if it persists, the Events tab may say why.`;
}
