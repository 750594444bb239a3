// What a docker failure means for the developer. The most common reason kind (and docker pull,
// and minikube's docker driver) fail on a developer's machine is not a bad config but Docker
// itself: installed, but its engine not started, or the user not allowed to use its socket.
// Those show up as one line buried in kind's output; this turns it into what to do.
// The patterns are the docker CLI's own messages, captured in test/fixtures/tools/captures/.

export type DockerEngineProblem =
  | { kind: 'not-running'; endpoint: string | undefined; advice: string }
  | { kind: 'no-permission'; endpoint: string | undefined; advice: string };

// docker CLI 29+: "failed to connect to the docker API at unix:///var/run/docker.sock; check if
// the path is correct and if the daemon is running: dial unix …"
const API_UNREACHABLE = /failed to connect to the docker API at ([^;\s]+)/i;
// docker CLI up to 28 (and 29 for tcp endpoints): "Cannot connect to the Docker daemon at
// unix:///var/run/docker.sock. Is the docker daemon running?"
const DAEMON_UNREACHABLE = /Cannot connect to the Docker daemon at (\S+?)\.?\s+Is the docker daemon running\?/i;
// Docker Desktop on Windows when it is not started (from docker's docs; not captured here).
const WINDOWS_PIPE_MISSING = /this error may indicate that the docker daemon is not running|open \/\/\.\/pipe\/docker_engine/i;
// 28: "permission denied while trying to connect to the Docker daemon socket at unix:///…: Get …"
// 29: "permission denied while trying to connect to the docker API at unix:///…"
const NO_PERMISSION = /permission denied while trying to connect to the (?:Docker daemon socket|docker API) at (\S+?)(?::\s|\s|$)/i;

function notRunning(endpoint: string | undefined): DockerEngineProblem {
  const where = endpoint ? ` (nothing answers at ${endpoint})` : '';
  return {
    kind: 'not-running',
    endpoint,
    advice:
      `Docker is installed but its engine is not running${where}. ` +
      'Start Docker Desktop, or on Linux the docker service (`sudo systemctl start docker`), then try again.',
  };
}

/** The docker engine problem `output` reports, if it reports one. */
export function dockerEngineProblem(output: string): DockerEngineProblem | undefined {
  const denied = NO_PERMISSION.exec(output);
  if (denied)
    return {
      kind: 'no-permission',
      endpoint: denied[1],
      advice:
        `Your user may not use Docker's socket (${denied[1]}). Add it to the docker group ` +
        '(`sudo usermod -aG docker $USER`, then log out and in again), or use Docker Desktop or rootless Docker.',
    };
  const unreachable = API_UNREACHABLE.exec(output) ?? DAEMON_UNREACHABLE.exec(output);
  if (unreachable) return notRunning(unreachable[1]);
  if (WINDOWS_PIPE_MISSING.test(output)) return notRunning(undefined);
  return undefined;
}
