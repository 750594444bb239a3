// An interactive shell in a Pod's container: exec with a TTY through the API server, bash where
// the image has it, else sh (busybox images). The window size travels on the exec stream's
// resize channel: the client library reads it from the output stream's `columns`/`rows` and its
// 'resize' event, so the output stream carries them.
import type { PassThrough, Writable } from 'node:stream';
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';

/** bash if present, else sh; TERM for colours and line editing (exec passes no TERM of its own). */
export const SHELL_COMMAND = [
  'sh',
  '-c',
  'export TERM=xterm-256color; if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi',
];

export interface TtyShell {
  resize: (cols: number, rows: number) => void;
  close: () => void;
}

export async function startTtyShell(
  kc: KubeConfig,
  namespace: string,
  pod: string,
  container: string,
  size: { cols: number; rows: number },
  io: { output: Writable; input: PassThrough; onEnd: (reason: string) => void },
): Promise<TtyShell> {
  const sized = io.output as Writable & { columns: number; rows: number };
  sized.columns = size.cols;
  sized.rows = size.rows;
  let ended = false;
  const end = (reason: string) => {
    if (ended) return;
    ended = true;
    io.onEnd(reason);
  };
  const socket = await new Exec(kc).exec(namespace, pod, container, SHELL_COMMAND, sized, null, io.input, true, (status: V1Status) =>
    end(status.status === 'Success' ? 'the shell exited' : `the shell ended: ${status.message ?? status.reason ?? 'unknown'}`),
  );
  socket.on('close', () => end('the connection to the sandbox closed'));
  socket.on('error', (e: Error) => end(`the connection to the sandbox failed: ${e.message}`));
  return {
    resize: (cols, rows) => {
      sized.columns = cols;
      sized.rows = rows;
      sized.emit('resize');
    },
    close: () => {
      io.input.end();
      socket.close();
    },
  };
}
