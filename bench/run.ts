// npm run bench [provisioner|migration]: prints numbers and ratios; never a pass/fail verdict.
import { benchMigration } from './migration.js';
import { benchProvisioner } from './provisioner.js';

const which = process.argv[2] ?? 'all';
if (which === 'all' || which === 'provisioner') await benchProvisioner();
if (which === 'all' || which === 'migration') await benchMigration();
