// sandbox-provisioner serve: the headless provisioner API (port 8002) for DeerFlow, plus the
// same UI the desktop app shows, for a browser: served on 127.0.0.1 at a random port and
// printed once, with its per-launch token, as `UI: http://127.0.0.1:<port>/?token=…`.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../config/config.js';
import { StartupError } from '../core/connection.js';
import type { DeskCore } from '../core/desk-core.js';
import { KubeconfigError } from '../kube/kubeconfig.js';
import { startDeskServer } from '../server/desk-api.js';
import { startHeadless } from '../server/standalone.js';
import { EXIT } from './exit-codes.js';
import { stderrLog } from './line-log.js';

/** Where the UI's saved settings live (the desktop app uses its own user-data folder). */
export function defaultSettingsFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SPD_SETTINGS_FILE) return env.SPD_SETTINGS_FILE;
  const configHome = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(configHome, 'sandbox-provisioner-desktop', 'settings.json');
}

/** The built renderer, from the sources (dist/renderer) or from dist/app/cli (../../renderer). */
export function rendererDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, '..', '..', 'dist', 'renderer'), join(here, '..', '..', 'renderer')].find((d) => existsSync(join(d, 'index.html')));
}

export async function serveCommand(opts: { host?: string; port?: string; ui?: boolean }): Promise<void> {
  const log = stderrLog();
  const env = { ...process.env };
  if (opts.host) env.PROVISIONER_HOST = opts.host;
  if (opts.port) env.PROVISIONER_PORT = opts.port;
  let core: DeskCore | undefined;
  try {
    // The same start the tests use (app/server/standalone.ts).
    ({ core } = await startHeadless(env, { settingsFile: defaultSettingsFile(env), log }));
    for (const name of core.overriddenEnv())
      log(`warning: ${name} from the environment is replaced by the saved UI setting in ${core.settings.file}`);
    if (opts.ui !== false) {
      const dir = rendererDir();
      const desk = await startDeskServer({ core, rendererDir: dir, log });
      if (!dir) log('warning: the UI is not built (run `npm run build`); only the desk API answers');
      // The one place the token is shown: the address to open (after the lines before it).
      log.flush();
      process.stdout.write(`UI: ${desk.uiUrl}\n`);
    }
    const running = core;
    const stop = async () => {
      await running.close();
      process.exit(EXIT.ok);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (e) {
    await core?.close().catch(() => undefined);
    if (e instanceof ConfigError || e instanceof KubeconfigError || e instanceof StartupError) {
      log.flush();
      process.stderr.write(`sandbox-provisioner: ${e.message}\n`);
      process.exit(EXIT.failed);
    }
    throw e;
  }
}
