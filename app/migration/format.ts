// Human-readable renderings of a plan and a report (the CLI prints them; the UI has its own).
import type { MigrationReport, Verification } from './execute.js';
import type { Plan } from './plan.js';
import type { UndoReport } from './undo.js';

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

export function formatPlan(plan: Plan, base: string): string {
  const t = plan.totals;
  const lines = [
    `Migration plan for ${base} (target user: ${plan.userId})`,
    `  ${t.threads} thread(s), ${t.agents} agent(s), ${t.skills} skill folder(s), ${t.memory} memory file(s): ${t.files} file(s), ${formatBytes(t.bytes)}; ${t.conflicts} conflict(s)`,
  ];
  if (plan.moves.length === 0) lines.push('  Nothing to migrate.');
  for (const m of plan.moves) {
    lines.push(
      `  ${m.conflict ? 'CONFLICT' : 'move    '} ${m.from} -> ${m.to}${m.conflict ? `  (${m.target} exists)` : ''}${m.note ? `  [${m.note}]` : ''}`,
    );
  }
  for (const l of plan.leftInPlace) lines.push(`  LEAVE    ${l.path}: ${l.reason}`);
  for (const w of plan.warnings) lines.push(`  warning: ${w}`);
  return lines.join('\n');
}

function verifiedLine(v: Verification): string {
  const content = v.contentMismatch ? `, ${v.contentMismatch.length} with other contents (checksums compared)` : '';
  return `  verified ${v.files} file(s), ${formatBytes(v.bytes)}: ${v.missing.length} missing, ${v.sizeMismatch.length} with another size${content}`;
}

/** "threads: 300 accounted for — alice 2, default 296; 1 in migration-conflicts/; 1 left in place". */
export function formatThreadAccount(t: MigrationReport['threads']): string {
  const users = Object.entries(t.byUser)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([u, n]) => `${u} ${n}`);
  const found = t.total - t.unaccounted.length;
  return `threads: ${found} of ${t.total} accounted for — ${users.join(', ') || 'none at a user'}; ${t.inConflicts} in migration-conflicts/; ${t.leftInPlace} left in place`;
}

export function formatReport(r: MigrationReport): string {
  const v = r.verification;
  return [
    `Migration ${r.ok ? 'finished' : 'finished WITH PROBLEMS'}${r.resumed ? ' (resumed from its journal)' : ''}: ${r.base}`,
    `  moved ${r.moved.length}, conflicts ${r.conflicts.length} (in migration-conflicts/), left in place ${r.leftInPlace.length}`,
    verifiedLine(v),
    `  ${formatThreadAccount(r.threads)}`,
    ...r.threads.unaccounted.map((t) => `  THREAD NOT FOUND ${t}`),
    ...v.missing.map((p) => `  MISSING ${p}`),
    ...v.sizeMismatch.map((p) => `  SIZE    ${p}`),
    ...(v.contentMismatch ?? []).map((p) => `  CONTENT ${p}`),
    ...r.leftInPlace.map((l) => `  left in place: ${l.path}: ${l.reason}`),
    ...r.warnings.map((w) => `  warning: ${w}`),
    r.removedEmpty.length ? `  removed empty legacy folders: ${r.removedEmpty.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

export function formatUndoReport(r: UndoReport, reportFile: string): string {
  const v = r.verification;
  return [
    `Undo of the migration started ${r.of} ${r.ok ? 'finished' : 'finished WITH PROBLEMS'}${r.resumed ? ' (resumed from its journal)' : ''}: ${r.base}`,
    `  put back ${r.restored.length}, left where the migration put them ${r.left.length}`,
    `  threads: ${r.threads.total} of the migration — ${r.threads.back} back in threads/, ${r.threads.left} left where it put them, ${r.threads.goneSince} removed since`,
    ...r.threads.unaccounted.map((t) => `  THREAD NOT FOUND ${t}`),
    `  verified ${v.files} file(s), ${formatBytes(v.bytes)}: ${v.missing.length} missing, ${v.sizeMismatch.length} with another size`,
    ...v.missing.map((p) => `  MISSING ${p}`),
    ...v.sizeMismatch.map((p) => `  SIZE    ${p}`),
    ...(v.contentMismatch ?? []).map((p) => `  CONTENT ${p}`),
    ...r.left.flatMap((l) => [
      `  LEFT    ${l.path} (was ${l.legacy}): ${l.reason}`,
      ...l.changes.map((c) => `            ${c}`),
      ...(l.changeCount > l.changes.length ? [`            …and ${l.changeCount - l.changes.length} more`] : []),
    ]),
    ...r.warnings.map((w) => `  warning: ${w}`),
    r.removedDirs.length ? `  removed folders the migration had made: ${r.removedDirs.join(', ')}` : '',
    `  report: ${reportFile}`,
  ]
    .filter(Boolean)
    .join('\n');
}
