// "Open" for a sandbox (issue #13 item 6): an address on this machine that reaches it, whatever
// the Service type and wherever the cluster runs — a port-forward through the API server, as
// `kubectl port-forward` does: 127.0.0.1:<free port>, each connection one forward stream to the
// sandbox container's port. One per sandbox, kept until the sandbox goes or the app quits.
import { createServer, type Server, type Socket } from 'node:net';

/** Joins one local connection to the sandbox's port (app/kube: PortForward over the API server). */
export type ForwardConnection = (sandboxId: string, socket: Socket) => Promise<void>;

interface Forward {
  server: Server;
  url: string;
  sockets: Set<Socket>;
}

export class SandboxForwards {
  private readonly forwards = new Map<string, Forward>();
  private readonly opening = new Map<string, Promise<string>>();

  constructor(
    private readonly connect: ForwardConnection,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** The local address of the sandbox (made on first use; the same one after). */
  open(sandboxId: string): Promise<string> {
    const known = this.forwards.get(sandboxId);
    if (known) return Promise.resolve(known.url);
    const pending = this.opening.get(sandboxId);
    if (pending) return pending;
    const started = this.listen(sandboxId).finally(() => this.opening.delete(sandboxId));
    this.opening.set(sandboxId, started);
    return started;
  }

  /** Every open address with its sandbox (the desktop opens only these and sandbox URLs). */
  addresses(): { sandbox_id: string; sandbox_url: string }[] {
    return [...this.forwards].map(([sandbox_id, f]) => ({ sandbox_id, sandbox_url: f.url }));
  }

  close(sandboxId: string): void {
    const f = this.forwards.get(sandboxId);
    if (!f) return;
    this.forwards.delete(sandboxId);
    for (const s of f.sockets) s.destroy();
    f.server.close();
  }

  closeAll(): void {
    for (const id of [...this.forwards.keys()]) this.close(id);
  }

  private listen(sandboxId: string): Promise<string> {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      this.connect(sandboxId, socket).catch((e: Error) => {
        this.log(`port-forward to sandbox ${sandboxId} failed: ${e.message}`);
        socket.destroy();
      });
    });
    return new Promise<string>((resolve, reject) => {
      server.once('error', reject);
      // Loopback only: the address is for the person at this machine, like kubectl port-forward.
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : 0;
        const url = `http://127.0.0.1:${port}`;
        this.forwards.set(sandboxId, { server, url, sockets });
        resolve(url);
      });
    });
  }
}
