// Shapes the desk API returns that are not core types already: what the UI shows of a
// sandbox's Pod (never its full object) and of the settings (never the API key itself).

import type { Sandbox } from '../sandbox/model.js';
import type { DeskSettings } from './contract.js';
import type { StartupStory } from './startup-story.js';

export interface MountView {
  name: string;
  mountPath: string;
  readOnly: boolean;
  /** hostPath path, or `claim` (+ subPath) for a PVC. */
  source: { hostPath: string; type: string | undefined } | { claim: string; subPath: string | undefined } | { other: string };
}

/** Another container of the sandbox Pod: the Lark init container or broker sidecar. */
export interface CompanionView {
  name: string;
  role: 'init' | 'sidecar';
  image: string | undefined;
}

export interface EventView {
  object: 'Pod' | 'Service';
  type: string;
  reason: string;
  message: string;
  count: number;
  last: string | null;
}

export interface SandboxDetail {
  sandbox: Sandbox;
  /** SANDBOX_EGRESS in a sentence (the namespace's policy applies to every sandbox). */
  egress: string;
  image: string | undefined;
  node: string | undefined;
  podIp: string | undefined;
  mounts: MountView[];
  /** Which mounts came with the create request (extra-{i}), not from the provisioner's settings. */
  requestMounts: string[];
  companions: CompanionView[];
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  conditions: { type: string; status: string; reason: string | undefined; message: string | undefined }[];
  containerState: { ready: boolean; restartCount: number; state: string; reason: string | undefined } | undefined;
  events: EventView[];
  /** created → scheduled → image ready → started → Ready (app/desk/startup-story.ts). */
  startup: StartupStory;
  /** The address the sandbox answers on inside the cluster (its Service's DNS name and port). */
  inClusterUrl: string | undefined;
}

export interface DeskSettingsView {
  settings: Omit<DeskSettings, 'PROVISIONER_API_KEY'>;
  /**
   * Each setting's value in use and where it comes from: saved here, the environment the app
   * was started with, or the provisioner's default (value undefined: unset, and none applies).
   */
  inUse: Partial<
    Record<Exclude<keyof DeskSettings, 'PROVISIONER_API_KEY'>, { value: string | undefined; source: 'saved' | 'environment' | 'default' }>
  >;
  /** The rules extra mounts are checked by, as the core resolved them (the Create dialog checks with them). */
  extraMounts: { base: string | undefined; pvc: boolean };
  /** What a create may ask for (`resources`): the defaults and the bounds, as the core resolved them. */
  resources: { cpuLimit: string; memoryLimit: string; maxCpu: string | undefined; maxMemory: string | undefined };
  apiKeySet: boolean;
  /** Where they are saved. */
  file: string;
}
