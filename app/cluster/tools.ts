// The local-cluster CLIs (kind, minikube, docker) through execa: whether each is installed,
// its version, and what clusters it knows. A missing CLI is "not installed" with a hint,
// never a crash; a failing one reports its stderr.
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { dockerEngineProblem } from './docker-engine.js';

export type ToolName = 'kind' | 'minikube' | 'docker';

export const INSTALL_HINTS: Record<ToolName, string> = {
  kind: 'install kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation (or `go install sigs.k8s.io/kind@latest`)',
  minikube: 'install minikube: https://minikube.sigs.k8s.io/docs/start/',
  docker: 'install Docker Engine or Docker Desktop: https://docs.docker.com/get-docker/',
};

export type ToolStatus =
  /** `problem`: the CLI answers but cannot work, e.g. docker with its engine not running. */
  | { tool: ToolName; installed: true; version: string; problem?: string }
  | { tool: ToolName; installed: false; hint: string }
  | { tool: ToolName; installed: true; error: string };

const VERSION_ARGS: Record<ToolName, string[]> = {
  kind: ['version'],
  minikube: ['version', '--short'],
  docker: ['version', '--format', '{{.Client.Version}}'],
};

export interface RunOptions {
  timeoutMs?: number;
  /** Environment for the CLI (tests put stand-in executables first on PATH). */
  env?: NodeJS.ProcessEnv;
}

/** The error for a CLI that is not on PATH (code ENOENT, like the spawn error it replaces). */
export function notInstalled(tool: ToolName): Error {
  return Object.assign(new Error(`${tool} is not installed; ${INSTALL_HINTS[tool]}`), { code: 'ENOENT' });
}

export async function runTool(
  tool: ToolName,
  args: string[],
  opts: RunOptions = {},
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const r = await execa(tool, args, {
    reject: false,
    timeout: opts.timeoutMs ?? 15_000,
    stdin: 'ignore',
    env: opts.env,
    extendEnv: opts.env === undefined,
  });
  if ((r as { code?: string }).code === 'ENOENT') throw notInstalled(tool);
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? -1 };
}

/** A CLI that ran and failed: the command line and the end of what it printed. */
export class ToolFailedError extends Error {
  constructor(
    readonly tool: ToolName,
    readonly args: string[],
    readonly exitCode: number,
    readonly output: string,
  ) {
    // The output was streamed already: the message carries only what says why, in the
    // developer's terms when it is docker's engine that failed (kind's most common failure).
    const why = dockerEngineProblem(output)?.advice ?? summaryLine(output);
    super(`\`${tool} ${args.join(' ')}\` failed (exit ${exitCode})${why ? `: ${why}` : ''}`);
    this.name = 'ToolFailedError';
  }
}

/**
 * What says why a tool failed: its last "ERROR…" line and what follows it (kind adds the
 * failing command's output there), else its last line; long lines are shortened in the middle.
 */
export function summaryLine(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  let from = lines.length - 1;
  for (let i = lines.length - 1; i >= 0; i--)
    if (/^(ERROR|Error|error)\b/.test(lines[i] ?? '')) {
      from = i;
      break;
    }
  const text = lines.slice(Math.max(from, 0)).join(' ');
  return text.length > 400 ? `${text.slice(0, 200)} … ${text.slice(-180)}` : text;
}

export class ToolCanceledError extends Error {
  constructor(tool: ToolName, args: string[]) {
    super(`\`${tool} ${args.join(' ')}\` was cancelled`);
    this.name = 'ToolCanceledError';
  }
}

export interface StreamOptions extends RunOptions {
  /** Each line the CLI prints (stdout and stderr interleaved, as a terminal would show them). */
  onLine?: (line: string) => void;
  /** Aborting stops the CLI (SIGTERM, then SIGKILL after 5 s). */
  signal?: AbortSignal;
}

const TAIL_LINES = 30;

/**
 * Runs a long CLI (cluster create, image pull/load) with its output streamed line by line;
 * resolves on exit 0, else throws ToolFailedError with the last lines, or ToolCanceledError.
 */
export async function runToolStreaming(tool: ToolName, args: string[], opts: StreamOptions = {}): Promise<void> {
  const proc = execa(tool, args, {
    reject: false,
    all: true,
    buffer: false,
    stdin: 'ignore',
    timeout: opts.timeoutMs ?? 0,
    cancelSignal: opts.signal,
    forceKillAfterDelay: 5000,
    env: opts.env,
    extendEnv: opts.env === undefined,
  });
  const tail: string[] = [];
  if (proc.all) {
    const lines = createInterface({ input: proc.all, crlfDelay: Number.POSITIVE_INFINITY });
    lines.on('line', (line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      opts.onLine?.(line);
    });
  }
  const r = await proc;
  if ((r as { code?: string }).code === 'ENOENT') throw notInstalled(tool);
  if (r.isCanceled) throw new ToolCanceledError(tool, args);
  if (r.exitCode !== 0) throw new ToolFailedError(tool, args, r.exitCode ?? -1, tail.join('\n'));
}

export async function detectTool(tool: ToolName, opts: RunOptions = {}): Promise<ToolStatus> {
  try {
    const r = await runTool(tool, VERSION_ARGS[tool], { timeoutMs: 10_000, ...opts });
    const version = r.stdout.trim().split('\n')[0] ?? '';
    // docker prints its own version, then fails to reach its engine.
    const engine = r.exitCode !== 0 && version ? dockerEngineProblem(r.stderr) : undefined;
    if (engine) return { tool, installed: true, version, problem: engine.advice };
    if (r.exitCode !== 0)
      return {
        tool,
        installed: true,
        error: `${tool} ${VERSION_ARGS[tool].join(' ')} failed (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}`,
      };
    return { tool, installed: true, version };
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return { tool, installed: false, hint: INSTALL_HINTS[tool] };
    throw e;
  }
}

/** `kind get clusters` prints one name per line (and "No kind clusters found." on stderr when none). */
export function parseKindClusters(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('No kind clusters'));
}

export interface MinikubeProfile {
  name: string;
  status: string;
  driver: string | undefined;
  nodeIp: string | undefined;
}

/** `minikube profile list -o json`: {"invalid": [...], "valid": [{"Name", "Status", "Config": {...}}]}. */
export function parseMinikubeProfiles(stdout: string): MinikubeProfile[] {
  const doc = JSON.parse(stdout) as {
    valid?: { Name?: string; Status?: string; Config?: { Driver?: string; Nodes?: { IP?: string }[] } }[];
  };
  return (doc.valid ?? []).map((p) => ({
    name: p.Name ?? '',
    status: p.Status ?? 'Unknown',
    driver: p.Config?.Driver,
    nodeIp: p.Config?.Nodes?.[0]?.IP,
  }));
}
