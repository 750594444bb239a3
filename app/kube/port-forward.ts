// One local connection joined to a Pod's port through the API server's port-forward (a
// WebSocket per connection, as kubectl does). The socket ends when the stream does.
import type { Socket } from 'node:net';
import { type KubeConfig, PortForward } from '@kubernetes/client-node';

export async function forwardSocket(kc: KubeConfig, namespace: string, pod: string, port: number, socket: Socket): Promise<void> {
  const ws = (await new PortForward(kc).portForward(namespace, pod, [port], socket, null, socket)) as {
    on: (event: 'close' | 'error', cb: () => void) => void;
    close: () => void;
  };
  ws.on('close', () => socket.end());
  ws.on('error', () => socket.destroy());
  socket.on('close', () => ws.close());
}
