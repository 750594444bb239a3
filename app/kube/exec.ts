// Run a command in a Pod's container through the API server's exec (WebSocket) and collect
// its output and exit code.
import { PassThrough, type Readable, Writable } from 'node:stream';
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** Standard output as bytes, only when asked for (`binary`): files read through a sandbox. */
  stdoutBytes?: Buffer;
}

export interface ExecOptions {
  container?: string;
  /**
   * Bytes written to the command's standard input. Commands must not wait for end-of-input:
   * kwok (the test node) never closes the command's stdin, so read a known length instead
   * (`head -c N`), which works the same on a real kubelet.
   */
  stdin?: string | Buffer;
  timeoutMs?: number;
  /** Keep standard output as bytes too (`stdoutBytes`), for content that is not text. */
  binary?: boolean;
}

/**
 * The exit code carried by the exec status. A kubelet reports a non-zero exit as
 * reason NonZeroExitCode with an `ExitCode` cause; kwok (the test node) reports only a
 * message ending in "exit status N". Both are understood; anything else is -1.
 */
export function exitCodeOf(status: V1Status | undefined): number {
  if (!status || status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  if (cause?.message && /^\d+$/.test(cause.message)) return Number(cause.message);
  const m = /exit (?:status|code) (\d+)/.exec(status.message ?? '');
  return m?.[1] ? Number(m[1]) : -1;
}

function collector(): { stream: Writable; text: () => string; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8'), bytes: () => Buffer.concat(chunks) };
}

export async function execInPod(
  kc: KubeConfig,
  namespace: string,
  pod: string,
  command: string[],
  opts: ExecOptions = {},
): Promise<ExecResult> {
  const out = collector();
  const err = collector();
  let stdin: Readable | null = null;
  if (opts.stdin !== undefined) {
    const pass = new PassThrough();
    pass.end(opts.stdin);
    stdin = pass;
  }
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise<ExecResult>((resolve, reject) => {
    let settled = false;
    let status: V1Status | undefined;
    let socket: { terminate: () => void } | undefined;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      socket?.terminate();
      finish(() => reject(new Error(`exec in ${namespace}/${pod} timed out after ${timeoutMs} ms`)));
    }, timeoutMs);
    new Exec(kc)
      .exec(namespace, pod, opts.container ?? '', command, out.stream, err.stream, stdin, false, (s) => {
        status = s;
      })
      .then((ws) => {
        socket = ws;
        if (settled) ws.terminate();
        ws.on('close', () =>
          finish(() =>
            resolve({
              stdout: out.text(),
              stderr: err.text(),
              exitCode: exitCodeOf(status),
              ...(opts.binary ? { stdoutBytes: out.bytes() } : {}),
            }),
          ),
        );
        ws.on('error', (e: Error) => finish(() => reject(e)));
      })
      .catch((e: unknown) => finish(() => reject(e instanceof Error ? e : new Error(String(e)))));
  });
}
