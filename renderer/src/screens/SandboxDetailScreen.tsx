// One sandbox, in tabs: Overview (summary, start-up story, resource use, mounts, conditions),
// Logs, Terminal, Files, Events. The page is made anew for each id (App keys it by id), says
// "not found" for an id that is not there and "deleted at …" when the sandbox goes while open,
// and never shows one sandbox's data under another's name.
import { useEffect, useRef, useState } from 'react';
import type { SandboxDetail } from '../../../app/desk/views.js';
import { DeskError } from '../api/client.js';
import { ConfirmDialog, CopyButton, StatusPill } from '../components/common.js';
import { hrefOf, navigate, SANDBOX_TABS, type SandboxTab } from '../router.js';
import { desk } from '../state/desk.js';
import { noticeError } from '../state/notices.js';
import { type DetailLoad, goneNow, presenceOf } from '../state/sandbox-page.js';
import { useSandboxes } from '../state/sandboxes.js';
import { LogsPanel } from './LogsPanel.js';
import { EventsTab } from './sandbox/EventsTab.js';
import { FilesTab } from './sandbox/FilesTab.js';
import { OverviewTab } from './sandbox/OverviewTab.js';
import { TerminalTab } from './sandbox/TerminalTab.js';

const TAB_LABELS: Record<SandboxTab, string> = {
  overview: 'Overview',
  logs: 'Logs',
  terminal: 'Terminal',
  files: 'Files',
  events: 'Events',
};

export function SandboxDetailScreen({ id, tab }: { id: string; tab: SandboxTab }) {
  const live = useSandboxes((s) => s.byId.get(id));
  const listLoaded = useSandboxes((s) => s.loaded);
  const [detail, setDetail] = useState<SandboxDetail | undefined>();
  const [load, setLoad] = useState<DetailLoad>('loading');
  const [goneAt, setGoneAt] = useState<string | undefined>();
  const [confirming, setConfirming] = useState(false);
  const seen = useRef(false);
  if (live || load === 'loaded') seen.current = true;

  // Gone while open (deleted by DeerFlow, the API, another window): said once, with the time.
  useEffect(() => {
    if (goneNow({ live: Boolean(live), listLoaded, seen: seen.current, goneAt })) setGoneAt(new Date().toISOString());
    if (live && goneAt) setGoneAt(undefined); // made again under the same id
  }, [live, listLoaded, goneAt]);

  // Reload the details whenever the live row changes (phase, readiness): events follow too.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the live row's state is the trigger
  useEffect(() => {
    if (goneAt) return;
    let current = true;
    desk()
      .call('sandboxDetail', { params: { id } })
      .then(
        (d) => {
          if (!current) return;
          setDetail(d);
          setLoad('loaded');
        },
        (e: Error) => {
          if (!current) return;
          const missing = e instanceof DeskError && e.status === 404;
          if (missing && seen.current) setGoneAt((at) => at ?? new Date().toISOString());
          setLoad(missing ? 'not-found' : { error: e.message });
        },
      );
    return () => {
      current = false;
    };
  }, [id, live?.status, live?.ready, live?.reason, goneAt]);

  const presence = presenceOf({ live: Boolean(live), listLoaded, detail: load, goneAt, seen: seen.current });
  const sandbox = live ?? detail?.sandbox;
  const gone = presence.kind === 'deleted';

  const [opened, setOpened] = useState<string | undefined>();
  const openIt = async () => {
    try {
      const { url } = await desk().call('openSandbox', { params: { id } });
      setOpened(url);
      window.open(`${url}/`, '_blank', 'noopener,noreferrer');
    } catch (e) {
      noticeError(`Opening ${id}`, e);
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

  if (presence.kind === 'not-found')
    return (
      <section className="screen detail" aria-labelledby="detail-title">
        <Header id={id} />
        <div className="empty-state" role="alert" data-testid="not-found">
          <h2>No sandbox “{id}”</h2>
          <p>
            There is no sandbox with this id in the namespace. It may have been deleted, or the id is misspelt.{' '}
            <a href="#/sandboxes">Back to the list</a> to open another or create one.
          </p>
        </div>
      </section>
    );

  return (
    <section className="screen detail" aria-labelledby="detail-title">
      <Header id={id}>
        {gone ? <span className="pill pill-deleted">Deleted</span> : sandbox ? <StatusPill status={sandbox.status} /> : null}
        <div className="toolbar">
          <button
            type="button"
            disabled={gone || sandbox?.status !== 'Running'}
            title={
              gone
                ? 'It is deleted'
                : sandbox?.status !== 'Running'
                  ? 'It opens once it runs'
                  : 'Open it in the browser, through an address on this machine'
            }
            onClick={() => void openIt()}
          >
            Open
          </button>
          {detail?.inClusterUrl ? <CopyButton text={detail.inClusterUrl} label="Copy in-cluster URL" /> : null}
          <button
            type="button"
            className="danger"
            disabled={gone}
            title={gone ? 'It is deleted already' : undefined}
            onClick={() => setConfirming(true)}
          >
            Delete
          </button>
        </div>
      </Header>
      {gone ? (
        <p className="banner banner-warning" role="status" data-testid="deleted-banner">
          This sandbox was deleted at {new Date(presence.at).toLocaleTimeString()} (by DeerFlow, the API or another window). What you see is
          how it was then; nothing here updates any more.
        </p>
      ) : null}
      {presence.kind === 'error' ? (
        <p className="banner banner-error" role="alert">
          The sandbox could not be read: {presence.message}
        </p>
      ) : null}
      {opened && !gone ? (
        <p className="muted small" data-testid="opened-at">
          Open on this machine at <span className="mono">{opened}</span> (a port-forward through the cluster, kept while the app runs){' '}
          <CopyButton text={opened} label="Copy the local address" />
        </p>
      ) : null}
      {!gone && sandbox?.reason ? (
        <p className="reason" role="status">
          {sandbox.reason}
        </p>
      ) : null}
      <TabBar id={id} tab={tab} />
      <div className="tab-panel" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'overview' ? <OverviewTab id={id} sandbox={sandbox} detail={detail} gone={gone} /> : null}
        {tab === 'logs' ? <LogsPanel sandboxId={id} gone={gone} /> : null}
        {tab === 'terminal' ? <TerminalTab id={id} gone={gone} running={sandbox?.status === 'Running'} /> : null}
        {tab === 'files' ? <FilesTab id={id} gone={gone} /> : null}
        {tab === 'events' ? <EventsTab events={detail?.events} /> : null}
      </div>
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

function Header({ id, children }: { id: string; children?: React.ReactNode }) {
  return (
    <header className="screen-header">
      <a href="#/sandboxes" className="back">
        ← Sandboxes
      </a>
      <h1 id="detail-title" className="mono ellipsis" title={id}>
        {id}
      </h1>
      {children}
    </header>
  );
}

/** Tabs as links (each has an address), arrow keys move between them. */
function TabBar({ id, tab }: { id: string; tab: SandboxTab }) {
  const onKey = (e: React.KeyboardEvent) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const i = SANDBOX_TABS.indexOf(tab);
    const next = SANDBOX_TABS[(i + (e.key === 'ArrowRight' ? 1 : SANDBOX_TABS.length - 1)) % SANDBOX_TABS.length] ?? 'overview';
    navigate({ screen: 'sandbox', id, tab: next });
    requestAnimationFrame(() => document.getElementById(`tab-${next}`)?.focus());
  };
  return (
    <div className="tabs" role="tablist" aria-label="Sandbox" onKeyDown={onKey}>
      {SANDBOX_TABS.map((t) => (
        <a
          key={t}
          id={`tab-${t}`}
          role="tab"
          href={hrefOf({ screen: 'sandbox', id, tab: t })}
          aria-selected={t === tab}
          aria-controls={`panel-${t}`}
          tabIndex={t === tab ? 0 : -1}
          className={`tab${t === tab ? ' active' : ''}`}
        >
          {TAB_LABELS[t]}
        </a>
      ))}
    </div>
  );
}
