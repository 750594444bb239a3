// One sandbox: what its Pod runs (image, mounts with host path or claim + subPath, resources),
// its conditions, the Kubernetes events of its Pod and Service, and its logs.
import { useEffect, useState } from 'react';
import type { SandboxDetail } from '../../../app/desk/views.js';
import { ConfirmDialog, CopyButton, SmallTable, StatusPill } from '../components/common.js';
import { timeLeft } from '../format.js';
import { navigate } from '../router.js';
import { desk } from '../state/desk.js';
import { noticeError } from '../state/notices.js';
import { useSandboxes } from '../state/sandboxes.js';
import { LogsPanel } from './LogsPanel.js';

export function SandboxDetailScreen({ id }: { id: string }) {
  const live = useSandboxes((s) => s.byId.get(id));
  const [detail, setDetail] = useState<SandboxDetail | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [confirming, setConfirming] = useState(false);

  // Reload the details whenever the live row changes (phase, readiness): events follow too.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the live row's state is the trigger
  useEffect(() => {
    let current = true;
    // Another sandbox's details never show under this id while its own load.
    setDetail((d) => (d?.sandbox.sandbox_id === id ? d : undefined));
    desk()
      .call('sandboxDetail', { params: { id } })
      .then(
        (d) => {
          if (current) {
            setDetail(d);
            setError(undefined);
          }
        },
        (e: Error) => current && setError(e.message),
      );
    return () => {
      current = false;
    };
  }, [id, live?.status, live?.ready, live?.reason]);

  const sandbox = live ?? detail?.sandbox;
  const keep = async () => {
    try {
      const kept = await desk().call('keepSandbox', { params: { id } });
      useSandboxes.getState().applyChanges([{ id, sandbox: kept }]);
    } catch (e) {
      noticeError(`Keeping ${id}`, e);
    }
  };
  const remove = async () => {
    setConfirming(false);
    try {
      await desk().call('deleteSandbox', { params: { id } });
      useSandboxes.getState().applyChanges([{ id, sandbox: null }]);
      navigate({ screen: 'sandboxes' });
    } catch (e) {
      noticeError(`Deleting ${id}`, e);
    }
  };

  return (
    <section className="screen detail" aria-labelledby="detail-title">
      <header className="screen-header">
        <a href="#/sandboxes" className="back">
          ← Sandboxes
        </a>
        <h1 id="detail-title" className="mono">
          {id}
        </h1>
        {sandbox ? <StatusPill status={sandbox.status} /> : null}
        <div className="toolbar">
          <button type="button" className="danger" onClick={() => setConfirming(true)}>
            Delete
          </button>
        </div>
      </header>
      {error && !detail ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
      {sandbox?.reason ? (
        <p className="reason" role="status">
          {sandbox.reason}
        </p>
      ) : null}
      <div className="detail-grid">
        <section className="card" aria-label="Summary">
          <h2>Summary</h2>
          <dl>
            <dt>URL</dt>
            <dd className="mono">
              {sandbox?.sandbox_url ? (
                <>
                  {sandbox.sandbox_url} <CopyButton text={sandbox.sandbox_url} label="Copy URL" />
                </>
              ) : (
                '—'
              )}
            </dd>
            <dt>Thread / user</dt>
            <dd className="mono">
              {sandbox?.thread_id ?? '—'} / {sandbox?.user_id ?? '—'}
            </dd>
            <dt>Ready</dt>
            <dd>{sandbox?.ready ? 'Yes' : 'No'}</dd>
            <dt>Image</dt>
            <dd className="mono">{detail?.image ?? '—'}</dd>
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
            {sandbox?.expires_at ? (
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
        <section className="card" aria-label="Mounts">
          <h2>Mounts</h2>
          <SmallTable columns={['Path', 'Source', 'Mode']}>
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
              <SmallTable columns={['Name', 'Role', 'Image']}>
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
        <section className="card" aria-label="Events">
          <h2>Events</h2>
          {detail?.events.length ? (
            <SmallTable columns={['When', 'Object', 'Type', 'Reason', 'Message']}>
              {detail.events.map((e, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: events have no stable id here
                <tr key={i} className={e.type === 'Warning' ? 'warning' : ''}>
                  <td>{e.last ? new Date(e.last).toLocaleTimeString() : ''}</td>
                  <td>{e.object}</td>
                  <td>{e.type}</td>
                  <td>{e.reason}</td>
                  <td>
                    {e.message}
                    {e.count > 1 ? ` (×${e.count})` : ''}
                  </td>
                </tr>
              ))}
            </SmallTable>
          ) : (
            <p className="muted">No events.</p>
          )}
        </section>
      </div>
      <LogsPanel sandboxId={id} />
      <ConfirmDialog
        open={confirming}
        title="Delete sandbox"
        danger
        confirmLabel="Delete"
        message={<p>Delete sandbox {id}? Its Pod and Service are removed; its data folder stays.</p>}
        onConfirm={() => void remove()}
        onCancel={() => setConfirming(false)}
      />
    </section>
  );
}

function fmt(m: Record<string, string> | undefined): string {
  if (!m || !Object.keys(m).length) return '—';
  return Object.entries(m)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}
