// The desktop app's settings: the provisioner's variables as the user set them in the UI,
// saved as JSON (mode 600: it may hold the API key) and layered over the environment. They
// are validated by the same loadConfig the server uses; each problem is tied to its field.

import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, loadConfig, type ProvisionerConfig } from '../config/config.js';
import { FieldsError } from '../errors.js';
import { type DeskSettings, SETTING_NAMES } from './contract.js';
import type { DeskSettingsView } from './views.js';

/**
 * What the provisioner uses for each setting left unset, from its resolved configuration (the
 * one place defaults are defined): shown beside the field instead of a blank.
 */
function defaultsOf(config: ProvisionerConfig): Partial<Record<keyof DeskSettings, string>> {
  return {
    K8S_NAMESPACE: config.namespace,
    SANDBOX_IMAGE: config.sandboxImage,
    SANDBOX_SERVICE_TYPE: config.serviceType,
    NODE_HOST: config.nodeHost,
    SANDBOX_NODE_PORT_RANGE: config.nodePortRange ? `${config.nodePortRange.from}-${config.nodePortRange.to}` : undefined,
    DEER_FLOW_HOST_BASE_DIR: config.hostBaseDir,
    THREADS_HOST_PATH: config.threadsHostPath,
    SKILLS_HOST_PATH: config.skillsHostPath,
    PROVISIONER_PORT: String(config.port),
    SANDBOX_EGRESS: config.egress.mode,
  };
}

export class SettingsError extends FieldsError {
  constructor(fields: { field: string; message: string }[]) {
    super(fields, `Invalid settings:\n${fields.map((f) => `  - ${f.message}`).join('\n')}`);
  }
}

type Env = Record<string, string | undefined>;

export class SettingsStore {
  private settings: DeskSettings = {};
  /** The context chosen in the UI (not a provisioner variable; kept beside them). */
  context: string | undefined;
  /** The provisioner API for DeerFlow was left running: start it again at the next launch. */
  provisionerApi = false;

  constructor(
    readonly file: string,
    private readonly baseEnv: Env,
  ) {
    if (existsSync(file)) {
      try {
        const saved = JSON.parse(readFileSync(file, 'utf8')) as { settings?: DeskSettings; context?: string; provisionerApi?: boolean };
        this.settings = pick(saved.settings ?? {});
        this.context = typeof saved.context === 'string' ? saved.context : undefined;
        this.provisionerApi = saved.provisionerApi === true;
      } catch (e) {
        throw new Error(`settings file ${file} is not valid JSON (${(e as Error).message}); fix or remove it`);
      }
    }
  }

  /** Environment with the saved settings over the process environment. */
  env(settings: DeskSettings = this.settings): Env {
    const env: Env = { ...this.baseEnv };
    for (const [k, v] of Object.entries(settings)) if (v !== undefined) env[k] = v;
    return env;
  }

  /** Only what was saved (not the environment), without the API key's value. */
  savedNames(): string[] {
    return Object.keys(this.settings);
  }

  config(): ProvisionerConfig {
    return loadConfig(this.env());
  }

  view(): DeskSettingsView {
    const env = this.env();
    const settings: DeskSettingsView['settings'] = {};
    for (const name of SETTING_NAMES) if (name !== 'PROVISIONER_API_KEY' && env[name] !== undefined) settings[name] = env[name];
    const config = loadConfig(env);
    const defaults = defaultsOf(config);
    const inUse: DeskSettingsView['inUse'] = {};
    for (const name of SETTING_NAMES) {
      if (name === 'PROVISIONER_API_KEY') continue;
      const source = this.settings[name] !== undefined ? 'saved' : this.baseEnv[name] !== undefined ? 'environment' : 'default';
      const value = source === 'default' ? defaults[name] : env[name];
      inUse[name] = { value, source };
    }
    return {
      settings,
      inUse,
      extraMounts: { base: config.hostBaseDir, pvc: config.userdataPvcName !== undefined },
      resources: {
        cpuLimit: config.resources.cpuLimit,
        memoryLimit: config.resources.memoryLimit,
        maxCpu: config.resources.maxCpu,
        maxMemory: config.resources.maxMemory,
      },
      apiKeySet: Boolean(env.PROVISIONER_API_KEY),
      file: this.file,
    };
  }

  /**
   * Validates and saves. An omitted PROVISIONER_API_KEY keeps the current one; an empty string
   * clears it. Nothing is saved when any field is invalid.
   */
  save(update: DeskSettings): DeskSettingsView {
    const next: DeskSettings = pick(update);
    if (update.PROVISIONER_API_KEY === undefined && this.settings.PROVISIONER_API_KEY !== undefined)
      next.PROVISIONER_API_KEY = this.settings.PROVISIONER_API_KEY;
    try {
      loadConfig(this.env(next));
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      throw new SettingsError(e.fields);
    }
    this.settings = next;
    this.persist();
    return this.view();
  }

  /** Saves these values over the saved ones (the rest, and the API key, stay as they are). */
  update(values: DeskSettings): DeskSettingsView {
    const { PROVISIONER_API_KEY: _key, ...saved } = this.settings;
    return this.save({ ...saved, ...values });
  }

  setContext(context: string | undefined): void {
    this.context = context;
    this.persist();
  }

  setProvisionerApi(running: boolean): void {
    this.provisionerApi = running;
    this.persist();
  }

  private persist(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(
      tmp,
      `${JSON.stringify({ settings: this.settings, context: this.context, provisionerApi: this.provisionerApi }, null, 2)}\n`,
      { mode: 0o600 },
    );
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
  }
}

function pick(s: DeskSettings): DeskSettings {
  const out: DeskSettings = {};
  for (const name of SETTING_NAMES) {
    const v = s[name];
    if (typeof v === 'string') out[name] = v;
  }
  return out;
}
