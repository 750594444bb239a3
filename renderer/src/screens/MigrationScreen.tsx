// The migration wizard: source (local folder or PVC) and target user → scan → plan (counts,
// moves with conflicts highlighted, items left in place and why) → the running-sandboxes
// guard → confirm → progress → report (saved as JSON beside the data). A journal left by an
// unfinished run is offered for resuming.
import { useEffect, useRef, useState } from 'react';
import type { ClaimView, MigrationScanView, MigrationSource } from '../../../app/desk/contract.js';
import { formatThreadAccount } from '../../../app/migration/format.js';
import { DEFAULT_USER_ID } from '../../../app/sandbox/names.js';
import { ConfirmDialog, Field, SmallTable } from '../components/common.js';
import { FolderInput } from '../components/FolderInput.js';
import { JobPanel } from '../components/JobPanel.js';
import { bytes } from '../format.js';
import { desk } from '../state/desk.js';
import { useJobs } from '../state/jobs.js';
import { noticeError, useNotices } from '../state/notices.js';
import { MigrationUndo } from './MigrationUndo.js';

const MAX_ROWS = 500;

export function MigrationScreen() {
  const [kind, setKind] = useState<'local' | 'pvc'>('local');
  const [where, setWhere] = useState('');
  const [userId, setUserId] = useState(DEFAULT_USER_ID);
  const [force, setForce] = useState(false);
  const [compareContents, setCompareContents] = useState(false);
  const [scan, setScan] = useState<MigrationScanView | undefined>();
  const [scanning, setScanning] = useState(false);
  const [scanStarted, setScanStarted] = useState(0);
  const [now, setNow] = useState(Date.now());
  const scanAbort = useRef<AbortController | undefined>(undefined);
  const [claims, setClaims] = useState<ClaimView[] | undefined>();
  const [claimsProblem, setClaimsProblem] = useState<string | undefined>();

  // The claims of the namespace, to choose from (typed names still work).
  useEffect(() => {
    if (kind !== 'pvc') return;
    desk()
      .call('listClaims')
      .then(
        (c) => {
          setClaims(c);
          setClaimsProblem(undefined);
        },
        (e: Error) => setClaimsProblem(e.message),
      );
  }, [kind]);

  useEffect(() => {
    if (!scanning) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [scanning]);
  const [confirming, setConfirming] = useState(false);
  const [jobId, setJobId] = useState<string | undefined>();
  const job = useJobs((s) => (jobId ? s.byId[jobId] : undefined));

  const source = (): MigrationSource =>
    kind === 'local' ? { kind: 'local', baseDir: where.trim() } : { kind: 'pvc', claim: where.trim() };

  const doScan = async () => {
    const abort = new AbortController();
    scanAbort.current = abort;
    setScanning(true);
    setScanStarted(Date.now());
    setNow(Date.now());
    setScan(undefined);
    setJobId(undefined);
    try {
      setScan(await desk().call('scanMigration', { body: { source: source(), userId, force }, signal: abort.signal }));
      useNotices.getState().clearAction('Scanning');
    } catch (e) {
      if (abort.signal.aborted)
        useNotices.getState().push({ level: 'info', title: 'Scan cancelled: nothing was changed', action: 'Scanning' });
      else noticeError('Scanning', e);
    } finally {
      setScanning(false);
      scanAbort.current = undefined;
    }
  };

  const run = async () => {
    setConfirming(false);
    try {
      const j = await desk().call('runMigration', {
        body: { source: source(), userId, force, verify: compareContents ? 'content' : 'sizes' },
      });
      useJobs.getState().upsert(j);
      setJobId(j.id);
      useNotices.getState().clearAction('Starting the migration');
    } catch (e) {
      noticeError('Starting the migration', e);
    }
  };

  const plan = scan?.plan;
  const hasWork = Boolean(plan && (plan.moves.length || scan?.pendingJournal));
  // A migration job's result: its report and where it was saved (or nothing to do).
  const saved = job?.kind === 'migration' && job.result && 'report' in job.result ? job.result : undefined;
  const report = saved?.report;

  return (
    <section className="screen migration" aria-labelledby="migration-title">
      <header className="screen-header">
        <h1 id="migration-title">Migrate legacy data</h1>
      </header>
      <p className="muted">
        Moves <span className="mono">threads/</span>, <span className="mono">memory.json</span>, <span className="mono">agents/</span> and{' '}
        <span className="mono">skills/custom/</span> into <span className="mono">users/&lt;user&gt;/…</span>. Nothing is overwritten: a
        taken place keeps its data and the legacy copy goes to <span className="mono">migration-conflicts/</span>.
      </p>

      <section className="card" aria-label="Source">
        <h2>1. Source and user</h2>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void doScan();
          }}
        >
          <fieldset className="radios">
            <legend>Where the data is</legend>
            <label>
              <input type="radio" name="source" checked={kind === 'local'} onChange={() => setKind('local')} /> Local folder
            </label>
            <label>
              <input type="radio" name="source" checked={kind === 'pvc'} onChange={() => setKind('pvc')} /> PVC in the current cluster
            </label>
          </fieldset>
          <Field
            id="migration-where"
            label={kind === 'local' ? 'DeerFlow base folder' : 'Claim name'}
            hint={kind === 'local' ? 'absolute path, e.g. /home/me/deer-flow/backend/.deer-flow' : 'its deer-flow/ folder is migrated'}
          >
            {kind === 'local' ? (
              <FolderInput id="migration-where" value={where} onChange={setWhere} />
            ) : (
              <>
                <input
                  id="migration-where"
                  list="migration-claims"
                  value={where}
                  onChange={(e) => setWhere(e.target.value)}
                  spellCheck={false}
                />
                <datalist id="migration-claims">
                  {(claims ?? []).map((c) => (
                    <option key={c.name} value={c.name}>
                      {`${c.phase}${c.capacity ? `, ${c.capacity}` : ''}${c.storageClass ? `, ${c.storageClass}` : ''}`}
                    </option>
                  ))}
                </datalist>
                <span className="muted small" data-testid="claims">
                  {claimsProblem
                    ? `The claims could not be listed: ${claimsProblem}`
                    : claims
                      ? claims.length
                        ? `Claims here: ${claims.map((c) => `${c.name} (${c.phase})`).join(', ')}`
                        : 'This namespace has no claims.'
                      : ''}
                </span>
              </>
            )}
          </Field>
          <Field id="migration-user" label="Target user" hint="receives data without a recorded owner">
            <input id="migration-user" value={userId} onChange={(e) => setUserId(e.target.value)} />
          </Field>
          <button type="submit" className="primary" disabled={!where.trim() || scanning}>
            {scanning ? 'Scanning…' : 'Scan'}
          </button>
          {scanning ? (
            <span role="status" data-testid="scan-progress">
              {' '}
              {kind === 'pvc' ? 'starting a helper Pod with the claim, then reading it' : 'reading the folder'} ·{' '}
              {Math.round((now - scanStarted) / 1000)} s{' '}
              <button type="button" onClick={() => scanAbort.current?.abort()}>
                Cancel
              </button>
            </span>
          ) : null}
        </form>
        {report ? null : (
          <div className="undo-last">
            <MigrationUndo
              source={where.trim() ? source() : undefined}
              label="Undo the last migration…"
              force={force}
              onUndone={() => setScan(undefined)}
            />
          </div>
        )}
      </section>

      {plan ? (
        <section className="card" aria-label="Plan" data-testid="migration-plan">
          <h2>2. Plan</h2>
          <ul className="totals">
            <li>{plan.totals.threads} thread(s)</li>
            <li>{plan.totals.agents} agent(s)</li>
            <li>{plan.totals.skills} skill(s)</li>
            <li>{plan.totals.memory} memory file(s)</li>
            <li className={plan.totals.conflicts ? 'warning' : ''}>{plan.totals.conflicts} conflict(s)</li>
            <li>
              {plan.totals.files} file(s), {bytes(plan.totals.bytes)}
            </li>
          </ul>
          {scan?.pendingJournal ? (
            <p className="banner banner-info" role="status">
              An unfinished run from {new Date(scan.pendingJournal.startedAt).toLocaleString()} was found ({scan.pendingJournal.done}/
              {scan.pendingJournal.steps} steps done). Migrating resumes it first.
            </p>
          ) : null}
          {plan.warnings.length ? (
            <details className="banner banner-info" open={plan.warnings.length <= 3}>
              <summary>{plan.warnings.length} note(s)</summary>
              <ul className="plain">
                {plan.warnings.slice(0, MAX_ROWS).map((w) => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
              {plan.warnings.length > MAX_ROWS ? <p className="muted">…and {plan.warnings.length - MAX_ROWS} more.</p> : null}
            </details>
          ) : null}
          {plan.moves.length ? (
            <SmallTable columns={['Kind', 'From', 'To', 'Owner', 'Files']} className="moves">
              {plan.moves.slice(0, MAX_ROWS).map((m) => (
                <tr
                  key={m.from}
                  className={m.conflict ? 'conflict' : ''}
                  title={m.conflict ? `${m.target} exists: kept, legacy copy goes here` : undefined}
                >
                  <td>{m.kind}</td>
                  <td className="mono">{m.from}</td>
                  <td className="mono">
                    {m.to}
                    {m.conflict ? ' (conflict)' : ''}
                  </td>
                  <td>{m.owner}</td>
                  <td>{m.files}</td>
                </tr>
              ))}
            </SmallTable>
          ) : (
            <p>Nothing to move.</p>
          )}
          {plan.moves.length > MAX_ROWS ? <p className="muted">…and {plan.moves.length - MAX_ROWS} more.</p> : null}
          {plan.leftInPlace.length ? (
            <>
              <h3>Left in place</h3>
              <ul className="plain">
                {plan.leftInPlace.map((l) => (
                  <li key={l.path}>
                    <span className="mono">{l.path}</span>: {l.reason}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          <h3>3. Running sandboxes</h3>
          {scan?.guard.ok ? (
            <p role="status">{scan.guard.note ?? 'No sandbox Pods are running: safe to move.'}</p>
          ) : (
            <p className="field-error" role="alert">
              {scan && !scan.guard.ok ? scan.guard.reason : null}
            </p>
          )}
          <label>
            <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> Migrate anyway (force)
          </label>
          <label>
            <input type="checkbox" checked={compareContents} onChange={(e) => setCompareContents(e.target.checked)} /> Compare contents too
            (checksums before and after: reads every file twice; an undo then sees same-size edits)
          </label>
          <div className="modal-actions">
            <button
              type="button"
              className="primary"
              disabled={!hasWork || (!scan?.guard.ok && !force) || job?.state === 'running'}
              onClick={() => setConfirming(true)}
            >
              Migrate
            </button>
          </div>
        </section>
      ) : null}

      {job ? <JobPanel job={job} /> : null}

      {report ? (
        <section className="card" aria-label="Report" data-testid="migration-report">
          <h2>Report {report.ok ? '— all files verified' : '— PROBLEMS FOUND'}</h2>
          <ul className="totals">
            <li>{report.moved.length} moved</li>
            <li>{report.conflicts.length} conflict(s)</li>
            <li>{report.leftInPlace.length} left in place</li>
            <li>
              verified {report.verification.files} file(s), {bytes(report.verification.bytes)}
            </li>
          </ul>
          <p data-testid="thread-account">{formatThreadAccount(report.threads)}</p>
          {report.threads.unaccounted.length ? (
            <p className="field-error">Threads found nowhere: {report.threads.unaccounted.join(', ')}</p>
          ) : null}
          {report.verification.contentMismatch?.length ? (
            <p className="field-error">Other contents: {report.verification.contentMismatch.join(', ')}</p>
          ) : null}
          {report.verification.missing.length || report.verification.sizeMismatch.length ? (
            <p className="field-error">
              Missing: {report.verification.missing.join(', ') || 'none'}; size changed:{' '}
              {report.verification.sizeMismatch.join(', ') || 'none'}
            </p>
          ) : null}
          <p>
            Saved as <span className="mono">{saved?.reportFile}</span>
          </p>
          <MigrationUndo source={source()} label="Undo this migration" force={force} onUndone={() => setScan(undefined)} />
        </section>
      ) : null}

      <ConfirmDialog
        open={confirming}
        title="Migrate now?"
        confirmLabel="Migrate"
        message={
          <p>
            Move {plan?.moves.length ?? 0} item(s) into users/{userId}/… in {where}. A journal is kept, so an interrupted run resumes.
          </p>
        }
        onConfirm={() => void run()}
        onCancel={() => setConfirming(false)}
      />
    </section>
  );
}
