// The live sandbox table: virtualised (only visible rows are in the page, so 2,000 sandboxes
// scroll smoothly), filter, sort by any column, multi-select delete with confirmation.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import { ConfirmDialog, CopyButton, StatusPill } from '../components/common.js';
import { age } from '../format.js';
import { navigate } from '../router.js';
import { desk } from '../state/desk.js';
import { noticeError, useNotices } from '../state/notices.js';
import { type SortKey, useSandboxes, visibleSandboxes } from '../state/sandboxes.js';
import { CreateSandboxDialog } from './CreateSandboxDialog.js';

const COLUMNS: { key: SortKey | 'url'; label: string }[] = [
  { key: 'sandbox_id', label: 'Sandbox' },
  { key: 'thread_id', label: 'Thread' },
  { key: 'user_id', label: 'User' },
  { key: 'status', label: 'Phase' },
  { key: 'ready', label: 'Ready' },
  { key: 'url', label: 'URL' },
  { key: 'created_at', label: 'Age' },
  { key: 'node_port', label: 'Port' },
];

export function SandboxesScreen() {
  const { byId, loaded, filter, sort, selected, setFilter, sortBy, toggleSelected, setSelected } = useSandboxes();
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
        <thead>
          <tr className="tr th">
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
                aria-sort={sort.key === c.key ? (sort.dir === 1 ? 'ascending' : 'descending') : undefined}
              >
                {c.key === 'url' ? (
                  c.label
                ) : (
                  <button type="button" className="sort" onClick={() => sortBy(c.key as SortKey)}>
                    {c.label}
                    {sort.key === c.key ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}
                  </button>
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="tbody" ref={scroller} data-testid="sandbox-scroller">
          {loaded && rows.length === 0 ? (
            <tr>
              <td className="empty">{byId.size ? 'No sandbox matches the filter.' : 'No sandboxes yet. Create one to get started.'}</td>
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
                style={{ position: 'absolute', top: 0, left: 0, right: 0, height: v.size, transform: `translateY(${v.start}px)` }}
                onClick={() => navigate({ screen: 'sandbox', id: s.sandbox_id })}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') navigate({ screen: 'sandbox', id: s.sandbox_id });
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
                <td className="td col-sandbox_id mono">{s.sandbox_id}</td>
                <td className="td col-thread_id mono">{s.thread_id ?? ''}</td>
                <td className="td col-user_id">{s.user_id ?? ''}</td>
                <td className="td col-status" title={s.reason ?? undefined}>
                  <StatusPill status={s.status} />
                </td>
                <td className="td col-ready">{s.ready ? 'Yes' : 'No'}</td>
                <td className="td col-url mono">
                  {s.sandbox_url ? (
                    <>
                      <span className="ellipsis">{s.sandbox_url}</span>
                      <CopyButton text={s.sandbox_url} label={`Copy URL of ${s.sandbox_id}`} />
                    </>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td className="td col-created_at">{age(s.created_at, now)}</td>
                <td className="td col-node_port">{s.node_port ?? ''}</td>
              </tr>
            );
          })}
        </tbody>
      </table>

      <CreateSandboxDialog open={creating} onClose={() => setCreating(false)} />
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
