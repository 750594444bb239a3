// The PATH a GUI launch lacks. An app started from the macOS Dock, Finder or a desktop
// launcher inherits launchd's or the session's minimal PATH (/usr/bin:/bin:/usr/sbin:/sbin),
// so kind, minikube or docker in /opt/homebrew/bin, /usr/local/bin or ~/go/bin would look "not
// installed". Like Podman Desktop and Headlamp, we ask the user's login shell for its PATH
// once at start-up and add the folders it has that ours lacks (ours stay first).
import { execa } from 'execa';

const MARK = '__SPD_PATH__';

/** `current` with the folders of `fromShell` it lacks appended, in the shell's order. */
export function mergePath(current: string | undefined, fromShell: string, sep = ':'): string {
  const have = (current ?? '').split(sep).filter(Boolean);
  const seen = new Set(have);
  for (const dir of fromShell.split(sep)) {
    if (dir && !seen.has(dir)) {
      seen.add(dir);
      have.push(dir);
    }
  }
  return have.join(sep);
}

/** The PATH between the markers of the shell's output (profiles may print banners around it). */
export function pathFromShellOutput(stdout: string): string | undefined {
  const start = stdout.indexOf(MARK);
  const end = stdout.indexOf(MARK, start + MARK.length);
  if (start < 0 || end < 0) return undefined;
  return stdout.slice(start + MARK.length, end).trim() || undefined;
}

/**
 * The login shell's PATH (`$SHELL -ilc`), or undefined when there is none to ask (Windows),
 * it fails, or it takes longer than `timeoutMs` (a profile waiting for input must not hold
 * the app's start-up).
 */
export async function loginShellPath(
  env: NodeJS.ProcessEnv = process.env,
  opts: { platform?: NodeJS.Platform; timeoutMs?: number } = {},
): Promise<string | undefined> {
  if ((opts.platform ?? process.platform) === 'win32') return undefined;
  const shell = env.SHELL || '/bin/sh';
  const timeoutMs = opts.timeoutMs ?? 5000;
  const proc = execa(shell, ['-ilc', `printf '%s' "${MARK}\${PATH}${MARK}"`], {
    reject: false,
    stdin: 'ignore',
    // Its own process group, so a timeout ends what the profile started too (a child that
    // kept the output open would otherwise hold us until it exits).
    detached: true,
    // Oh My Zsh would otherwise offer to update itself, or start tmux, and never return.
    env: { ...env, DISABLE_AUTO_UPDATE: 'true', ZSH_TMUX_AUTOSTART: 'false' },
  });
  const timer = setTimeout(() => {
    try {
      if (proc.pid) process.kill(-proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, timeoutMs);
  try {
    const r = await proc;
    return r.exitCode === 0 ? pathFromShellOutput(r.stdout) : undefined;
  } finally {
    clearTimeout(timer);
  }
}
