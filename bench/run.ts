// npm run bench: prints numbers and ratios; never a pass/fail verdict.
import { benchProvisioner } from './provisioner.js';

const which = process.argv[2] ?? 'all';
if (which === 'all' || which === 'provisioner') await benchProvisioner();
