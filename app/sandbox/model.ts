// The one shape of a sandbox, shared by the core, the APIs and the UI. Field names follow
// the upstream provisioner's snake_case so the drop-in API can return a subset unchanged.

export type SandboxStatus = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown' | 'NotFound';

export interface Sandbox {
  sandbox_id: string;
  /** Empty when the sandbox has no usable URL (no Service, or no NodePort yet). */
  sandbox_url: string;
  status: SandboxStatus;
  thread_id: string | null;
  user_id: string | null;
  /** Pod Ready condition. */
  ready: boolean;
  node_port: number | null;
  /** ISO time the Pod (or else the Service) was created. */
  created_at: string | null;
  /** Why a Pod is not running yet, when Kubernetes says (e.g. ImagePullBackOff: …). */
  reason: string | null;
  /** With SANDBOX_IDLE_SECONDS / SANDBOX_TTL_SECONDS: when the sweep removes it, and why. */
  expires_at: string | null;
  expiry_reason: 'idle' | 'ttl' | null;
}

/** What the upstream API returns for one sandbox. */
export interface SandboxResponse {
  sandbox_id: string;
  sandbox_url: string;
  status: SandboxStatus;
}

export interface CreateSandboxInput {
  sandbox_id: string;
  thread_id?: string | null | undefined;
  user_id?: string | undefined;
  /** Per-request mounts the Gateway forwards (allowlisted container paths under the base folder). */
  extra_mounts?: { host_path: string; container_path: string; read_only?: boolean | undefined }[] | undefined;
  /** Accepted and ignored, as upstream: the legacy skills view is always mounted. */
  include_legacy_skills?: boolean | undefined;
  /** Lark Pattern A (init container) and B (broker sidecar), each only when its image is configured. */
  provision_lark_cli_runtime?: boolean | undefined;
  provision_lark_cli_broker?: boolean | undefined;
  /** Ours: the container's CPU and memory limits, within SANDBOX_MAX_CPU / SANDBOX_MAX_MEMORY. */
  resources?: { cpu?: string | undefined; memory?: string | undefined } | undefined;
}

export const toResponse = (s: Sandbox): SandboxResponse => ({ sandbox_id: s.sandbox_id, sandbox_url: s.sandbox_url, status: s.status });
