// sandbox-provisioner kubeconfig --for-containers: the kubeconfig DeerFlow's containers use.
import { loadConfig } from '../config/config.js';
import { containerKubeconfig, FileExistsError, writePrivateFile } from '../kube/container-kubeconfig.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { EXIT } from './exit-codes.js';

export interface KubeconfigOptions {
  forContainers?: boolean;
  host?: string;
  output?: string;
  context?: string;
  force?: boolean;
}

export function kubeconfigCommand(opts: KubeconfigOptions): number {
  const err = (s: string) => process.stderr.write(`${s}\n`);
  if (!opts.forContainers) {
    err('kubeconfig: say what to export: --for-containers');
    return EXIT.usage;
  }
  try {
    const config = loadConfig(process.env);
    const { kc } = loadKubeConfig({ kubeconfigPath: config.kubeconfigPath, context: opts.context });
    const out = containerKubeconfig(kc, { host: opts.host });
    for (const w of out.warnings) err(`warning: ${w}`);
    if (opts.output) {
      try {
        writePrivateFile(opts.output, out.yaml, { replace: opts.force });
      } catch (e) {
        if (!(e instanceof FileExistsError)) throw e;
        err(`kubeconfig: ${opts.output} exists; not overwriting it (add --force to replace it)`);
        return EXIT.failed;
      }
      err(`wrote ${opts.output} (mode 600: it holds credentials)`);
    } else process.stdout.write(out.yaml);
    err(`K8S_API_SERVER=${out.apiServer}${out.rewritten ? '' : '  (server was not loopback: unchanged)'}`);
    return EXIT.ok;
  } catch (e) {
    err(`kubeconfig: ${(e as Error).message}`);
    return EXIT.failed;
  }
}
