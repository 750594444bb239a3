// The renderer's typed client of the desk API, derived from the contract table: the same
// operation names, paths and input/output types as the server, in Electron and a browser.

import type { DeskConnection } from '../../../app/desk/bridge.js';
import {
  type CallArgs,
  type DeskEvent,
  deskFiles,
  deskOperations,
  deskStreams,
  fillPath,
  type InputOf,
  type LogEvent,
  type LogsOptions,
  type OperationName,
  type OutputOf,
  type TerminalEvent,
  TOKEN_HEADER,
} from '../../../app/desk/contract.js';
import { readSse } from './sse.js';

type Detail = string | { loc: string[]; msg: string; type: string }[];

/** An answer other than 2xx: its status, the server's detail, and field errors by field name. */
export class DeskError extends Error {
  readonly fields: Record<string, string>;
  constructor(
    readonly status: number,
    readonly detail: Detail,
  ) {
    super(typeof detail === 'string' ? detail : detail.map((d) => d.msg).join('; '));
    this.name = 'DeskError';
    this.fields = {};
    if (Array.isArray(detail)) for (const d of detail) this.fields[d.loc[d.loc.length - 1] ?? ''] = d.msg;
  }
}

export type StreamState = 'connecting' | 'open' | 'reconnecting';

export class DeskClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    private readonly fetchImpl: typeof fetch = (...a) => fetch(...a),
  ) {}

  /** One operation; its params and body are required exactly when the contract requires them. */
  async call<K extends OperationName>(name: K, ...args: CallArgs<K>): Promise<OutputOf<K>> {
    const input = (args[0] ?? {}) as Partial<InputOf<K>>;
    const op = deskOperations[name];
    const url = `${this.baseUrl}${fillPath(op.path, input.params as Record<string, unknown> | undefined)}`;
    const hasBody = op.method === 'POST' || op.method === 'PUT';
    const signal = (args[0] as { signal?: AbortSignal } | undefined)?.signal;
    const res = await this.fetchImpl(url, {
      method: op.method,
      headers: { [TOKEN_HEADER]: this.token, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
      ...(hasBody ? { body: JSON.stringify(input.body ?? {}) } : {}),
      ...(signal ? { signal } : {}),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) throw new DeskError(res.status, (json as { detail?: Detail } | undefined)?.detail ?? (text || res.statusText));
    return json as OutputOf<K>;
  }

  private async openStream(path: string, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const res = await this.fetchImpl(`${this.baseUrl}${path}`, { headers: { [TOKEN_HEADER]: this.token }, signal });
    if (!res.ok || !res.body) throw await errorOf(res);
    return res.body;
  }

  /** A terminal: its screen as it is, then output, then `ended`; resolves when the stream ends. */
  async terminal(tid: string, onEvent: (e: TerminalEvent) => void, signal: AbortSignal): Promise<void> {
    const body = await this.openStream(fillPath(deskStreams.terminal, { tid }), signal);
    await readSse(body, (d) => onEvent(d as TerminalEvent), signal);
  }

  /** A file of the sandbox as it is, or a folder as a .tar, with the name to save it under. */
  async download(id: string, path: string, via?: 'host' | 'cluster'): Promise<{ name: string; blob: Blob }> {
    const q = new URLSearchParams({ path, ...(via ? { via } : {}) });
    const res = await this.fetchImpl(`${this.baseUrl}${fillPath(deskFiles.download, { id })}?${q}`, {
      headers: { [TOKEN_HEADER]: this.token },
    });
    if (!res.ok) throw await errorOf(res);
    const disposition = res.headers.get('content-disposition') ?? '';
    const encoded = /filename\*=UTF-8''([^;]+)/.exec(disposition)?.[1];
    return { name: encoded ? decodeURIComponent(encoded) : (path.split('/').pop() ?? 'download'), blob: await res.blob() };
  }

  /** Saves the bytes as uploads/<name> in the sandbox (never replacing a file): the saved path. */
  async upload(id: string, name: string, bytes: Blob | Uint8Array): Promise<string> {
    const q = new URLSearchParams({ name });
    const res = await this.fetchImpl(`${this.baseUrl}${fillPath(deskFiles.upload, { id })}?${q}`, {
      method: 'POST',
      headers: { [TOKEN_HEADER]: this.token, 'content-type': 'application/octet-stream' },
      body: bytes as BodyInit,
    });
    if (!res.ok) throw await errorOf(res);
    return ((await res.json()) as { path: string }).path;
  }

  /**
   * Live events, reconnecting after a drop. `onState('open')` is the moment to reload full
   * state (the list): events are changes, so a reload after each (re)connect means nothing
   * missed while disconnected is lost, and applying a change twice is harmless (upserts).
   */
  subscribe(onEvent: (e: DeskEvent) => void, onState: (s: StreamState, error?: string) => void): () => void {
    const abort = new AbortController();
    const loop = async () => {
      let first = true;
      while (!abort.signal.aborted) {
        onState(first ? 'connecting' : 'reconnecting');
        try {
          const body = await this.openStream(deskStreams.events, abort.signal);
          onState('open');
          first = false;
          await readSse(body, (d) => onEvent(d as DeskEvent), abort.signal);
        } catch (e) {
          if (abort.signal.aborted) return;
          onState('reconnecting', (e as Error).message);
        }
        if (!abort.signal.aborted) await new Promise((r) => setTimeout(r, 1000));
      }
    };
    void loop();
    return () => abort.abort();
  }

  /** A sandbox's log as batches of lines; resolves when the stream ends. */
  async logs(id: string, opts: LogsOptions, onEvent: (e: LogEvent) => void, signal: AbortSignal): Promise<void> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opts)) if (v !== undefined && v !== false) q.set(k, String(v));
    const body = await this.openStream(`${fillPath(deskStreams.logs, { id })}?${q}`, signal);
    await readSse(body, (d) => onEvent(d as LogEvent), signal);
  }
}

async function errorOf(res: Response): Promise<DeskError> {
  const text = await res.text();
  try {
    const detail = (JSON.parse(text) as { detail?: Detail }).detail;
    if (detail) return new DeskError(res.status, detail);
  } catch {
    // not JSON
  }
  return new DeskError(res.status, text || res.statusText);
}

/**
 * Where the desk API is and its token: from Electron's preload bridge, else from the page
 * address (`?token=…`, which is then removed from the address bar and kept for this tab).
 */
export function connectionFromPage(win: Window & { desk?: DeskConnection }): { baseUrl: string; token: string } | undefined {
  if (win.desk?.token) return { baseUrl: win.desk.url, token: win.desk.token };
  const url = new URL(win.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    win.sessionStorage.setItem('desk-token', fromUrl);
    url.searchParams.delete('token');
    win.history.replaceState(null, '', url.toString());
  }
  const token = fromUrl ?? win.sessionStorage.getItem('desk-token');
  return token ? { baseUrl: url.origin, token } : undefined;
}
