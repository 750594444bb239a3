// npm run cluster:up | cluster:down | cluster:status
// `up` prints the admin kubeconfig's path as its last line (scripts read it with `tail -1`).
import { down, isHealthy, readState, up } from './control-plane.js';

const command = process.argv[2];
try {
  if (command === 'up') {
    const state = await up();
    process.stdout.write(`${state.kubeconfig}\n`);
  } else if (command === 'down') {
    await down();
  } else if (command === 'status') {
    const state = readState();
    if (!state) {
      console.log('no control plane is running (npm run cluster:up starts one)');
      process.exitCode = 1;
    } else {
      const healthy = await isHealthy(state);
      console.log(`${healthy ? 'ready' : 'NOT healthy'}: ${state.server}\nkubeconfig: ${state.kubeconfig}\nlogs: ${state.runDir}/logs`);
      process.exitCode = healthy ? 0 : 1;
    }
  } else {
    console.error('usage: tsx test/cluster/cli.ts up|down|status');
    process.exitCode = 2;
  }
} catch (e) {
  console.error(`cluster ${command} failed: ${(e as Error).message}`);
  process.exitCode = 1;
}
