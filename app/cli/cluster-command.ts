// sandbox-provisioner cluster detect: the kubeconfig's contexts, what made each, and whether
// its API server answers. (kind/minikube CLI detection and cluster creation come next.)

import { probeContext, summarizeContexts } from '../cluster/contexts.js';
import { loadConfig } from '../config/config.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';

export async function clusterDetectCommand(opts: { json?: boolean }): Promise<number> {
  try {
    const { kc, origin } = loadKubeConfig({ kubeconfigPath: loadConfig(process.env).kubeconfigPath });
    const contexts = summarizeContexts(kc);
    const probes = await Promise.all(contexts.map((c) => probeContext(kc, c.name)));
    const result = contexts.map((c, i) => ({ ...c, reachability: probes[i] }));
    if (opts.json) process.stdout.write(`${JSON.stringify({ kubeconfig: origin, contexts: result }, null, 2)}\n`);
    else {
      process.stdout.write(`kubeconfig: ${origin}\n`);
      for (const c of result) {
        const r = c.reachability;
        const state = r?.state === 'ready' ? `ready (${r.version})` : `${r?.state}: ${r && 'message' in r ? r.message : ''}`;
        process.stdout.write(`${c.current ? '*' : ' '} ${c.name}  [${c.kind}]  ${c.server}  ${state}\n`);
      }
    }
    return 0;
  } catch (e) {
    process.stderr.write(`cluster detect: ${(e as Error).message}\n`);
    return 1;
  }
}
