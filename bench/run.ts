// npm run bench [provisioner|migration|ui|terminal]: prints numbers and ratios; never a pass/fail verdict.
import { benchMigration } from './migration.js';
import { benchProvisioner } from './provisioner.js';
import { benchTerminal } from './terminal.js';
import { benchUi } from './ui.js';

const which = process.argv[2] ?? 'all';
if (which === 'all' || which === 'provisioner') await benchProvisioner();
if (which === 'all' || which === 'migration') await benchMigration();
if (which === 'all' || which === 'ui') await benchUi();
if (which === 'all' || which === 'terminal') await benchTerminal();
