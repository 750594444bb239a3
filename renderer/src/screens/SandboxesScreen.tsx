// The live sandbox table: virtualised (only visible rows are in the page, so 2,000 sandboxes
// scroll smoothly), filter, sort by any column, resizable columns whose cut values end in an
// ellipsis with the whole value on hover, row actions, multi-select delete with confirmation.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import { ConfirmDialog, CopyButton, StatusPill } from '../components/common.js';
import { age } from '../format.js';
import { navigate } from '../router.js';
import { useCluster } from '../state/cluster.js';
import { type ColumnKey, gridTemplate, tableMinWidth, useColumns } from '../state/columns.js';
import { desk } from '../state/desk.js';
import { noticeError, useNotices } from '../state/notices.js';
import { type SortKey, shownDir, useSandboxes, visibleSandboxes } from '../state/sandboxes.js';
import { CreateSandboxDialog } from './CreateSandboxDialog.js';

const COLUMNS: { key: ColumnKey; label: string }[] = [
  { key: 'sandbox_id', label: 'Sandbox' },
  { key: 'thread_id', label: 'Thread' },
  { key: 'user_id', label: 'User' },
  { key: 'status', label: 'Phase' },
  { key: 'ready', label: 'Ready' },
  { key: 'url', label: 'URL' },
  { key: 'created_at', label: 'Age' },
  { key: 'node_port', label: 'Port' },
  { key: 'actions', label: 'Actions' },
];
const UNSORTED: ColumnKey[] = ['url', 'actions'];

/** The text of a cell, cut with an ellipsis when too long, whole on hover. */
function Cut({ text, className }: { text: string; className?: string }) {
  return (
    <span className={`ellipsis${className ? ` ${className}` : ''}`} title={text}>
      {text}
    </span>
  );
}

/** Drag a heading's right edge to resize its column (double-click: back to all defaults). */
function ColumnResizer({ column, label }: { column: ColumnKey; label: string }) {
  const { widths, setWidth, reset } = useColumns();
  const onPointerDown = (e: React.PointerEvent) => {
    e.preventDefault();
    e.stopPropagation();
    const startX = e.clientX;
    const start = widths[column];
    const move = (m: PointerEvent) => setWidth(column, start + m.clientX - startX);
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  };
  return (
    // biome-ignore lint/a11y/useSemanticElements: a column edge; the arrow keys resize it
    <span
      className="col-resize"
      role="separator"
      aria-orientation="vertical"
      aria-label={`Resize the ${label} column`}
      aria-valuenow={widths[column]}
      tabIndex={0}
      onPointerDown={onPointerDown}
      onDoubleClick={reset}
      onClick={(e) => e.stopPropagation()}
      onKeyDown={(e) => {
        if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
          e.preventDefault();
          setWidth(column, widths[column] + (e.key === 'ArrowRight' ? 16 : -16));
        }
      }}
    />
  );
}

export function SandboxesScreen() {
  const { byId, loaded, filter, sort, selected, setFilter, sortBy, toggleSelected, setSelected } = useSandboxes();
  const widths = useColumns((s) => s.widths);
  const template = gridTemplate(widths);
  const minWidth = tableMinWidth(widths);
  const namespace = useCluster((s) => s.status?.namespace);
  const watching = useCluster((s) => s.watching);
  const [removing, setRemoving] = useState<string | undefined>();
  const rows = useMemo(() => visibleSandboxes(byId, filter, sort), [byId, filter, sort]);
  const [creating, setCreating] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [now, setNow] = useState(Date.now());
  const scroller = useRef<HTMLTableSectionElement>(null);
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => 36, overscan: 12 });

  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(t);
  }, []);

  const allVisibleSelected = rows.length > 0 && rows.every((r) => selected.has(r.sandbox_id));

  const deleteOne = async (id: string) => {
    setRemoving(undefined);
    try {
      await desk().call('deleteSandbox', { params: { id } });
      useSandboxes.getState().applyChanges([{ id, sandbox: null }]);
      useNotices.getState().push({ level: 'info', title: `Deleted ${id}` });
    } catch (e) {
      noticeError(`Deleting ${id}`, e);
    }
  };

  const deleteSelected = async () => {
    setConfirming(false);
    const ids = [...selected];
    const results = await Promise.allSettled(ids.map((id) => desk().call('deleteSandbox', { params: { id } })));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${ids[i]}: ${(r.reason as Error).message}`] : []));
    useSandboxes.getState().applyChanges(ids.filter((_, i) => results[i]?.status === 'fulfilled').map((id) => ({ id, sandbox: null })));
    setSelected([]);
    if (failed.length) noticeError(`Deleting ${failed.length} sandbox(es)`, new Error(failed.join('\n')));
    else useNotices.getState().push({ level: 'info', title: `Deleted ${ids.length} sandbox(es)` });
  };

  return (
    <section className="screen sandboxes" aria-labelledby="sandboxes-title">
      <header className="screen-header">
        <h1 id="sandboxes-title">Sandboxes</h1>
        <span className="muted" data-testid="sandbox-count">
          {rows.length === byId.size ? `${byId.size}` : `${rows.length} of ${byId.size}`}
        </span>
        <div className="toolbar">
          <input
            type="search"
            aria-label="Filter sandboxes"
            placeholder="Filter by id, thread, user, phase…"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
          />
          <button type="button" className="danger" disabled={selected.size === 0} onClick={() => setConfirming(true)}>
            Delete{selected.size ? ` (${selected.size})` : ''}
          </button>
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            Create sandbox
          </button>
        </div>
      </header>

      <table className="table" aria-label="Sandboxes" aria-rowcount={rows.length + 1}>
        <thead style={{ minWidth }}>
          <tr className="tr th" style={{ gridTemplateColumns: template }}>
            <th className="td check">
              <input
                type="checkbox"
                aria-label="Select all shown"
                checked={allVisibleSelected}
                onChange={() => setSelected(allVisibleSelected ? [] : rows.map((r) => r.sandbox_id))}
              />
            </th>
            {COLUMNS.map((c) => (
              <th
                key={c.key}
                className={`td col-${c.key}`}
                aria-sort={sort.key === c.key ? (shownDir(c.key, sort.dir) === 1 ? 'ascending' : 'descending') : undefined}
              >
                {UNSORTED.includes(c.key) ? (
                  c.label
                ) : (
                  <button type="button" className="sort" onClick={() => sortBy(c.key as SortKey)}>
                    {c.label}
                    {sort.key === c.key ? (shownDir(c.key, sort.dir) === 1 ? ' ▲' : ' ▼') : ''}
                  </button>
                )}
                <ColumnResizer column={c.key} label={c.label} />
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="tbody" ref={scroller} data-testid="sandbox-scroller" style={{ minWidth }}>
          {loaded && rows.length === 0 ? (
            <tr>
              <td className="empty" data-testid="sandboxes-empty">
                {byId.size ? (
                  'No sandbox matches the filter.'
                ) : (
                  <>
                    <p>
                      No sandboxes in namespace <span className="mono">{namespace ?? '—'}</span> yet.{' '}
                      {watching
                        ? 'The cluster answers and is watched: new ones appear here at once.'
                        : 'The cluster does not answer right now.'}
                    </p>
                    <button type="button" className="primary" onClick={() => setCreating(true)}>
                      Create a sandbox
                    </button>
                  </>
                )}
              </td>
            </tr>
          ) : null}
          <tr className="spacer" style={{ height: virtual.getTotalSize() }} />
          {virtual.getVirtualItems().map((v) => {
            const s = rows[v.index];
            if (!s) return null;
            return (
              <tr
                key={s.sandbox_id}
                tabIndex={0}
                className={`tr${selected.has(s.sandbox_id) ? ' selected' : ''}`}
                data-testid={`sandbox-row-${s.sandbox_id}`}
                aria-selected={selected.has(s.sandbox_id)}
                style={{
                  position: 'absolute',
                  top: 0,
                  left: 0,
                  right: 0,
                  height: v.size,
                  transform: `translateY(${v.start}px)`,
                  gridTemplateColumns: template,
                }}
                onClick={() => navigate({ screen: 'sandbox', id: s.sandbox_id, tab: 'overview' })}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') navigate({ screen: 'sandbox', id: s.sandbox_id, tab: 'overview' });
                  if (e.key === ' ') {
                    e.preventDefault();
                    toggleSelected(s.sandbox_id);
                  }
                }}
              >
                <td className="td check">
                  <input
                    type="checkbox"
                    aria-label={`Select ${s.sandbox_id}`}
                    checked={selected.has(s.sandbox_id)}
                    onClick={(e) => e.stopPropagation()}
                    onChange={() => toggleSelected(s.sandbox_id)}
                  />
                </td>
                <td className="td col-sandbox_id mono">
                  <Cut text={s.sandbox_id} />
                </td>
                <td className="td col-thread_id mono">
                  <Cut text={s.thread_id ?? ''} />
                </td>
                <td className="td col-user_id">
                  <Cut text={s.user_id ?? ''} />
                </td>
                <td className="td col-status" title={s.reason ?? undefined}>
                  <StatusPill status={s.status} />
                </td>
                <td className="td col-ready">{s.ready ? 'Yes' : 'No'}</td>
                <td className="td col-url mono">
                  {s.sandbox_url ? (
                    <>
                      {/* The scheme is the same on every row: the host and port are what differ. */}
                      <Cut text={s.sandbox_url.replace(/^https?:\/\//, '')} />
                      <CopyButton text={s.sandbox_url} label={`Copy URL of ${s.sandbox_id}`} />
                    </>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td className="td col-created_at">{age(s.created_at, now)}</td>
                <td className="td col-node_port">{s.node_port ?? ''}</td>
                <td className="td col-actions">
                  {(['logs', 'terminal'] as const).map((tab) => (
                    <button
                      key={tab}
                      type="button"
                      className="small"
                      title={`${tab === 'logs' ? 'Logs' : 'Terminal'} of ${s.sandbox_id}`}
                      aria-label={`${tab === 'logs' ? 'Logs' : 'Terminal'} of ${s.sandbox_id}`}
                      onClick={(e) => {
                        e.stopPropagation();
                        navigate({ screen: 'sandbox', id: s.sandbox_id, tab });
                      }}
                    >
                      {tab === 'logs' ? 'Logs' : '>_'}
                    </button>
                  ))}
                  <button
                    type="button"
                    className="small danger"
                    title={`Delete ${s.sandbox_id}`}
                    aria-label={`Delete ${s.sandbox_id}`}
                    onClick={(e) => {
                      e.stopPropagation();
                      setRemoving(s.sandbox_id);
                    }}
                  >
                    ✕
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>

      <CreateSandboxDialog open={creating} onClose={() => setCreating(false)} />
      <ConfirmDialog
        open={removing !== undefined}
        title="Delete sandbox"
        danger
        confirmLabel="Delete"
        message={<p>Delete sandbox {removing}? Its Pod and Service are removed; its data folder stays.</p>}
        onConfirm={() => removing && void deleteOne(removing)}
        onCancel={() => setRemoving(undefined)}
      />
      <ConfirmDialog
        open={confirming}
        title="Delete sandboxes"
        danger
        confirmLabel={`Delete ${selected.size}`}
        message={
          <p>
            Delete {selected.size} sandbox(es): {[...selected].slice(0, 5).join(', ')}
            {selected.size > 5 ? '…' : ''}? Their Pods and Services are removed; their data folders stay.
          </p>
        }
        onConfirm={() => void deleteSelected()}
        onCancel={() => setConfirming(false)}
      />
    </section>
  );
}
