// The sandbox at a glance: where it answers, what it runs, its start-up story (with the "load
// the image" hint when the image holds it up), its resource use with a short history, its
// mounts (host path or claim + subPath) and its conditions.
import { useEffect, useState } from 'react';
import type { UsageView } from '../../../../app/desk/contract.js';
import type { StartupStepName } from '../../../../app/desk/startup-story.js';
import type { SandboxDetail } from '../../../../app/desk/views.js';
import type { Sandbox } from '../../../../app/sandbox/model.js';
import { CopyButton, SmallTable } from '../../components/common.js';
import { bytes, timeLeft } from '../../format.js';
import { desk } from '../../state/desk.js';
import { noticeError, useNotices } from '../../state/notices.js';
import { useSandboxes } from '../../state/sandboxes.js';

const STEP_LABELS: Record<StartupStepName, string> = {
  created: 'Created',
  scheduled: 'Scheduled',
  image: 'Image ready',
  started: 'Started',
  ready: 'Ready',
};
/** Samples kept for the history (one every USAGE_EVERY_MS while the tab is open: 5 minutes). */
export const USAGE_HISTORY = 60;
const USAGE_EVERY_MS = 5000;

export function OverviewTab(props: { id: string; sandbox: Sandbox | undefined; detail: SandboxDetail | undefined; gone: boolean }) {
  const { id, sandbox, detail, gone } = props;
  const keep = async () => {
    try {
      const kept = await desk().call('keepSandbox', { params: { id } });
      useSandboxes.getState().applyChanges([{ id, sandbox: kept }]);
    } catch (e) {
      noticeError(`Keeping ${id}`, e);
    }
  };
  return (
    <div className="detail-grid">
      <section className="card" aria-label="Summary">
        <h2>Summary</h2>
        <dl>
          <dt>URL (for DeerFlow)</dt>
          <dd className="mono wrap-anywhere">
            {sandbox?.sandbox_url ? (
              <>
                {sandbox.sandbox_url} <CopyButton text={sandbox.sandbox_url} label="Copy URL" />
              </>
            ) : (
              '—'
            )}
          </dd>
          <dt>In the cluster</dt>
          <dd className="mono wrap-anywhere">{detail?.inClusterUrl ?? '—'}</dd>
          <dt>Thread / user</dt>
          <dd className="mono wrap-anywhere">
            {sandbox?.thread_id ?? '—'} / {sandbox?.user_id ?? '—'}
          </dd>
          <dt>Ready</dt>
          <dd>{sandbox?.ready ? 'Yes' : 'No'}</dd>
          <dt>Image</dt>
          <dd className="mono wrap-anywhere">{detail?.image ?? '—'}</dd>
          <dt>Node / Pod IP</dt>
          <dd className="mono">
            {detail?.node ?? '—'} / {detail?.podIp ?? '—'}
          </dd>
          <dt>Resources</dt>
          <dd className="mono">
            requests {fmt(detail?.resources.requests)}; limits {fmt(detail?.resources.limits)}
          </dd>
          <dt>Egress</dt>
          <dd data-testid="egress">{detail?.egress ?? '—'}</dd>
          {sandbox?.expires_at && !gone ? (
            <>
              <dt>Expires</dt>
              <dd data-testid="expiry">
                {timeLeft(sandbox.expires_at)} ({new Date(sandbox.expires_at).toLocaleString()}):{' '}
                {sandbox.expiry_reason === 'ttl' ? 'its maximum age (SANDBOX_TTL_SECONDS)' : 'when unused for SANDBOX_IDLE_SECONDS'}{' '}
                {sandbox.expiry_reason === 'idle' ? (
                  <button type="button" onClick={() => void keep()}>
                    Keep
                  </button>
                ) : null}
              </dd>
            </>
          ) : null}
        </dl>
      </section>
      <StartupCard detail={detail} />
      <UsageCard id={id} gone={gone} />
      <section className="card" aria-label="Mounts">
        <h2>Mounts</h2>
        <SmallTable columns={['Path', 'Source', 'Mode']} className="wrap-cells">
          {(detail?.mounts ?? []).map((m) => (
            <tr key={m.name}>
              <td className="mono">{m.mountPath}</td>
              <td className="mono">
                {'hostPath' in m.source
                  ? `hostPath ${m.source.hostPath}`
                  : 'claim' in m.source
                    ? `PVC ${m.source.claim}${m.source.subPath ? ` / ${m.source.subPath}` : ''}`
                    : m.source.other}
              </td>
              <td>
                {m.readOnly ? 'read-only' : 'read-write'}
                {detail?.requestMounts.includes(m.mountPath) ? ' · from the request' : ''}
              </td>
            </tr>
          ))}
        </SmallTable>
        {detail?.companions.length ? (
          <>
            <h3>Other containers</h3>
            <SmallTable columns={['Name', 'Role', 'Image']} className="wrap-cells">
              {detail.companions.map((c) => (
                <tr key={c.name}>
                  <td className="mono">{c.name}</td>
                  <td>{c.role === 'init' ? 'init container' : 'sidecar'}</td>
                  <td className="mono">{c.image ?? '—'}</td>
                </tr>
              ))}
            </SmallTable>
          </>
        ) : null}
      </section>
      <section className="card" aria-label="Conditions">
        <h2>Conditions</h2>
        <ul className="plain">
          {(detail?.conditions ?? []).map((c) => (
            <li key={c.type}>
              <strong>{c.type}</strong>: {c.status}
              {c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ''})` : ''}
            </li>
          ))}
          {detail?.containerState ? (
            <li>
              <strong>Container</strong>: {detail.containerState.state}
              {detail.containerState.reason ? ` (${detail.containerState.reason})` : ''}, restarts {detail.containerState.restartCount}
            </li>
          ) : null}
        </ul>
      </section>
    </div>
  );
}

function StartupCard({ detail }: { detail: SandboxDetail | undefined }) {
  const story = detail?.startup;
  const [loading, setLoading] = useState(false);
  const load = async () => {
    setLoading(true);
    try {
      await desk().call('loadImage');
      useNotices.getState().push({ level: 'info', title: 'Loading the sandbox image into the cluster: see the job on the Cluster screen' });
    } catch (e) {
      noticeError('Loading the image', e);
    } finally {
      setLoading(false);
    }
  };
  return (
    <section className="card" aria-label="Start-up">
      <h2>Start-up</h2>
      {story ? (
        <ol className="startup" data-testid="startup">
          {story.steps.map((s) => (
            <li key={s.step} className={`${s.at ? 'done' : 'waiting'}${story.slowest === s.step ? ' slowest' : ''}`}>
              <span className="step">{STEP_LABELS[s.step]}</span>{' '}
              <span className="muted">
                {s.at ? new Date(s.at).toLocaleTimeString() : 'not yet'}
                {s.tookMs !== undefined ? ` (+${seconds(s.tookMs)})` : ''}
                {story.slowest === s.step ? ' · the slowest step' : ''}
              </span>
              {s.detail ? <div className="muted small wrap-anywhere">{s.detail}</div> : null}
            </li>
          ))}
        </ol>
      ) : (
        <p className="muted">Loading…</p>
      )}
      {story?.imageHint ? (
        <div className="hint" role="note" data-testid="image-hint">
          <p className="hint-text">{story.imageHint.reason}</p>
          <button type="button" className="primary" disabled={loading} onClick={() => void load()}>
            Load the image into the cluster
          </button>
        </div>
      ) : null}
    </section>
  );
}

function UsageCard({ id, gone }: { id: string; gone: boolean }) {
  const [samples, setSamples] = useState<UsageView[]>([]);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    if (gone) return;
    let current = true;
    const read = () =>
      desk()
        .call('sandboxUsage', { params: { id } })
        .then(
          (u) => {
            if (!current) return;
            setError(undefined);
            setSamples((s) => [...s, u].slice(-USAGE_HISTORY));
          },
          (e: Error) => current && setError(e.message),
        );
    void read();
    const t = setInterval(read, USAGE_EVERY_MS);
    return () => {
      current = false;
      clearInterval(t);
    };
  }, [id, gone]);
  const last = samples.at(-1);
  const measured = samples.filter((s): s is Extract<UsageView, { available: true }> => s.available);
  return (
    <section className="card" aria-label="Resource use">
      <h2>Resource use</h2>
      {error ? <p className="field-error">{error}</p> : null}
      {!last ? <p className="muted">Reading…</p> : null}
      {last && !last.available ? (
        <p className="muted" data-testid="usage-unavailable">
          {last.reason} Restarts: {last.restarts}.
        </p>
      ) : null}
      {last?.available ? (
        <dl data-testid="usage">
          <dt>CPU</dt>
          <dd>
            {last.cpuMillicores}m <Sparkline values={measured.map((s) => s.cpuMillicores)} label="CPU over the last minutes" />
          </dd>
          <dt>Memory</dt>
          <dd>
            {bytes(last.memoryBytes)} <Sparkline values={measured.map((s) => s.memoryBytes)} label="Memory over the last minutes" />
          </dd>
          <dt>Restarts</dt>
          <dd>{last.restarts}</dd>
        </dl>
      ) : null}
    </section>
  );
}

/** A small line of the history; its numbers are in the title for those who cannot see it. */
function Sparkline({ values, label }: { values: number[]; label: string }) {
  if (values.length < 2) return null;
  const max = Math.max(...values, 1);
  const w = 120;
  const h = 24;
  const points = values.map((v, i) => `${((i / (values.length - 1)) * w).toFixed(1)},${(h - (v / max) * h).toFixed(1)}`).join(' ');
  return (
    <svg className="sparkline" width={w} height={h} role="img" aria-label={`${label}: ${values.join(', ')}`}>
      <polyline points={points} fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  );
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

function fmt(m: Record<string, string> | undefined): string {
  if (!m || !Object.keys(m).length) return '—';
  return Object.entries(m)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}
