// Undo of the last completed migration of a source (as `migrate --undo`): confirm → job with
// progress → report: what went back, and what was left where the migration put it (changed
// since, or its old place taken), with the changes named and a way to take those back too.
import { useEffect, useState } from 'react';
import type { MigrationSource } from '../../../app/desk/contract.js';
import { ConfirmDialog } from '../components/common.js';
import { JobPanel } from '../components/JobPanel.js';
import { bytes } from '../format.js';
import { desk } from '../state/desk.js';
import { useJobs } from '../state/jobs.js';
import { noticeError } from '../state/notices.js';

const MAX_LEFT_SHOWN = 200;

/** The undo button and, once one ran, its job and report. `label` names what is undone. */
/** `onUndone`: called once when an undo finished, so the screen can drop what is no longer so (the plan). */
export function MigrationUndo({
  source,
  label,
  force,
  onUndone,
}: {
  source: MigrationSource | undefined;
  label: string;
  force: boolean;
  onUndone?: () => void;
}) {
  const [confirming, setConfirming] = useState<'plain' | 'with-changes' | undefined>();
  const [jobId, setJobId] = useState<string | undefined>();
  const job = useJobs((s) => (jobId ? s.byId[jobId] : undefined));
  const result = job?.kind === 'migration-undo' ? job.result : undefined;
  const report = result && 'report' in result ? result.report : undefined;
  const changedLeft = report?.left.filter((l) => l.changeCount > 0) ?? [];
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per finished job, not per render of the callback
  useEffect(() => {
    if (job?.state === 'done') onUndone?.();
  }, [job?.id, job?.state]);

  const start = async (withChanges: boolean) => {
    setConfirming(undefined);
    if (!source) return;
    try {
      const j = await desk().call('undoMigration', { body: { source, withChanges, force } });
      useJobs.getState().upsert(j);
      setJobId(j.id);
    } catch (e) {
      noticeError('Starting the undo', e);
    }
  };

  return (
    <>
      <button type="button" disabled={!source || job?.state === 'running'} onClick={() => setConfirming('plain')}>
        {label}
      </button>
      {job ? <JobPanel job={job} /> : null}
      {result && 'nothingToUndo' in result ? (
        <p role="status" data-testid="undo-nothing">
          Nothing to undo: {result.nothingToUndo}.
        </p>
      ) : null}
      {report ? (
        <section className="card" aria-label="Undo report" data-testid="undo-report">
          <h2>
            Undo{' '}
            {!report.ok
              ? '— PROBLEMS FOUND'
              : report.left.length
                ? `— ${report.left.length} item(s) left where the migration put them`
                : '— everything is back'}
          </h2>
          <ul className="totals">
            <li>{report.restored.length} put back</li>
            <li>{report.left.length} left</li>
            <li>
              verified {report.verification.files} file(s), {bytes(report.verification.bytes)}
            </li>
          </ul>
          <p>
            threads: {report.threads.total} of the migration — {report.threads.back} back in threads/, {report.threads.left} left where it
            put them, {report.threads.goneSince} removed since
          </p>
          {report.threads.unaccounted.length ? (
            <p className="field-error">Threads found nowhere: {report.threads.unaccounted.join(', ')}</p>
          ) : null}
          {report.left.length ? (
            <ul className="plain">
              {report.left.slice(0, MAX_LEFT_SHOWN).map((l) => (
                <li key={l.path}>
                  <span className="mono">{l.path}</span> (was <span className="mono">{l.legacy}</span>): {l.reason}
                  {l.changes.length ? (
                    <ul className="plain mono">
                      {l.changes.map((c) => (
                        <li key={c}>{c}</li>
                      ))}
                      {l.changeCount > l.changes.length ? <li>…and {l.changeCount - l.changes.length} more</li> : null}
                    </ul>
                  ) : null}
                </li>
              ))}
            </ul>
          ) : null}
          {report.warnings.length ? (
            <ul className="plain">
              {report.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          ) : null}
          <p>
            Saved as <span className="mono">{result && 'reportFile' in result ? result.reportFile : ''}</span>
          </p>
          {changedLeft.length ? (
            <div className="modal-actions">
              <button type="button" disabled={job?.state === 'running'} onClick={() => setConfirming('with-changes')}>
                Put the changed items back too
              </button>
            </div>
          ) : null}
        </section>
      ) : null}
      <ConfirmDialog
        open={confirming !== undefined}
        title="Undo the migration?"
        confirmLabel="Undo"
        message={
          confirming === 'with-changes' ? (
            <p>
              Move the {changedLeft.length} changed item(s) back to their legacy places, with the changes made since the migration. Nothing
              is replaced.
            </p>
          ) : (
            <p>
              Put the last completed migration back: every item returns to its legacy place. Items changed since are left where they are and
              named. A journal is kept, so an interrupted undo resumes.
            </p>
          )
        }
        onConfirm={() => void start(confirming === 'with-changes')}
        onCancel={() => setConfirming(undefined)}
      />
    </>
  );
}
