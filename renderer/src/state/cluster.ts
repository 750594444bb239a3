// What the window knows of the cluster: its status (contexts, reachability), whether the live
// event stream is connected, and whether the core's watch is live.
import { create } from 'zustand';
import type { ClusterStatus } from '../../../app/desk/contract.js';
import type { StreamState } from '../api/client.js';

export interface ClusterState {
  status: ClusterStatus | undefined;
  stream: StreamState;
  streamError: string | undefined;
  /** The core's watch of sandboxes is live (false: cluster unreachable or not connected). */
  watching: boolean;
  watchMessage: string | undefined;
  setStatus: (s: ClusterStatus) => void;
  setStream: (s: StreamState, error?: string) => void;
  setWatching: (w: boolean, message?: string) => void;
}

export const useCluster = create<ClusterState>()((set) => ({
  status: undefined,
  stream: 'connecting',
  streamError: undefined,
  watching: false,
  watchMessage: undefined,
  setStatus: (status) => set({ status, watching: status.watching }),
  setStream: (stream, streamError) => set({ stream, streamError }),
  setWatching: (watching, watchMessage) => set({ watching, watchMessage }),
}));

/** The one-line health of the connection the header shows, or undefined when all is well. */
export function connectionProblem(s: Pick<ClusterState, 'status' | 'stream' | 'watching' | 'watchMessage'>): string | undefined {
  if (s.stream === 'reconnecting') return 'Lost the connection to the app core; reconnecting…';
  if (!s.status) return undefined;
  if (s.status.problem) return `No cluster in use: ${s.status.problem}`;
  if (s.status.reachability && s.status.reachability.state !== 'ready')
    return `Cluster unreachable (${s.status.current}): ${s.status.reachability.message}`;
  if (!s.watching) return s.watchMessage ?? 'Cluster unreachable: waiting for the watch of sandboxes to come back…';
  return undefined;
}
