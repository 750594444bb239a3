// Terminals into the sandbox container (xterm.js, its DOM renderer: the output is text in the
// page, and screen-reader mode on). The shells live in the app's main process, so leaving the
// tab, several tabs at once, or a restart of the app lose nothing: attaching shows the screen as
// it is (or as it was when the app closed, with Reconnect for a new shell under it).
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { TerminalView } from '../../../../app/desk/contract.js';
import { desk } from '../../state/desk.js';
import { noticeError } from '../../state/notices.js';

export function TerminalTab({ id, gone, running }: { id: string; gone: boolean; running: boolean }) {
  const [terminals, setTerminals] = useState<TerminalView[] | undefined>();
  const [selected, setSelected] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const opening = useRef(false);

  const reload = useCallback(async () => {
    const list = await desk().call('listTerminals', { params: { id } });
    setTerminals(list);
    setSelected((s) => (s && list.some((t) => t.id === s) ? s : list.at(-1)?.id));
    return list;
  }, [id]);

  const openNew = useCallback(async () => {
    if (opening.current) return;
    opening.current = true;
    try {
      const t = await desk().call('openTerminal', { params: { id }, body: { cols: 100, rows: 30 } });
      setError(undefined);
      await reload();
      setSelected(t.id);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      opening.current = false;
    }
  }, [id, reload]);

  // The first visit opens a shell when there is none (that is what the tab is for).
  useEffect(() => {
    reload().then(
      (list) => {
        if (!list.length && running && !gone) void openNew();
      },
      (e: Error) => setError(e.message),
    );
  }, [reload, openNew, running, gone]);

  const close = async (tid: string) => {
    try {
      await desk().call('closeTerminal', { params: { tid } });
      await reload();
    } catch (e) {
      noticeError('Closing the terminal', e);
    }
  };

  return (
    <section className="terminals" aria-label="Terminals">
      <div className="toolbar terminal-tabs" role="tablist" aria-label="Terminals">
        {(terminals ?? []).map((t) => (
          <span key={t.id} className={`terminal-tab${t.id === selected ? ' active' : ''}`}>
            <button type="button" role="tab" aria-selected={t.id === selected} onClick={() => setSelected(t.id)}>
              {t.title}
              {t.state === 'ended' ? ' (ended)' : ''}
            </button>
            <button type="button" className="link" aria-label={`Close ${t.title}`} onClick={() => void close(t.id)}>
              ×
            </button>
          </span>
        ))}
        <button
          type="button"
          onClick={() => void openNew()}
          disabled={gone || !running}
          title={gone ? 'The sandbox was deleted' : !running ? 'The container is not running yet' : undefined}
        >
          New terminal
        </button>
        {gone || !running ? (
          <span className="muted small">{gone ? 'The sandbox was deleted.' : 'A terminal opens once the container runs.'}</span>
        ) : null}
      </div>
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
      {selected ? <XtermView key={selected} view={terminals?.find((t) => t.id === selected)} onChanged={() => void reload()} /> : null}
      {terminals && !terminals.length && !error && (gone || !running) ? <p className="muted">No terminal.</p> : null}
    </section>
  );
}

function XtermView({ view, onChanged }: { view: TerminalView | undefined; onChanged: () => void }) {
  const host = useRef<HTMLDivElement>(null);
  const [ended, setEnded] = useState<string | undefined>(view?.state === 'ended' ? view.endedReason : undefined);
  const [generation, setGeneration] = useState(0);
  const tid = view?.id;

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new generation attaches again (after Reconnect)
  useEffect(() => {
    if (!tid || !host.current) return;
    const css = getComputedStyle(document.documentElement);
    const term = new Terminal({
      screenReaderMode: true,
      scrollback: 5000,
      fontFamily: css.getPropertyValue('--mono').trim() || 'monospace',
      fontSize: 13,
      theme: {
        background: css.getPropertyValue('--term-bg').trim() || '#1e1e1e',
        foreground: css.getPropertyValue('--term-fg').trim() || '#e6e6e6',
      },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host.current);
    // Copy and paste with Ctrl+Shift+C / Ctrl+Shift+V (Ctrl+C stays the shell's interrupt).
    term.attachCustomKeyEventHandler((e) => {
      if (e.type !== 'keydown' || !e.ctrlKey || !e.shiftKey) return true;
      if (e.code === 'KeyC') {
        void navigator.clipboard?.writeText(term.getSelection());
        return false;
      }
      if (e.code === 'KeyV') {
        void navigator.clipboard?.readText().then((t) => term.paste(t));
        return false;
      }
      return true;
    });

    // Keystrokes in order, batched: one request per burst, never two in flight at once.
    let pending = '';
    let sending: Promise<unknown> = Promise.resolve();
    const flush = () => {
      const data = pending;
      pending = '';
      if (!data) return;
      sending = sending.then(() =>
        desk()
          .call('terminalInput', { params: { tid }, body: { data } })
          .catch((e: Error) => setEnded(e.message)),
      );
    };
    const onData = term.onData((d) => {
      const first = !pending;
      pending += d;
      if (first) queueMicrotask(flush);
    });

    let sized = '';
    let resizeTimer: ReturnType<typeof setTimeout> | undefined;
    const resize = () => {
      try {
        fit.fit();
      } catch {
        return; // not laid out yet
      }
      const key = `${term.cols}x${term.rows}`;
      if (key === sized) return;
      sized = key;
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        void desk()
          .call('resizeTerminal', { params: { tid }, body: { cols: term.cols, rows: term.rows } })
          .catch(() => undefined);
      }, 100);
    };
    const observer = new ResizeObserver(resize);
    observer.observe(host.current);
    resize();

    const abort = new AbortController();
    void desk()
      .terminal(
        tid,
        (e) => {
          if (e.type === 'screen') {
            term.reset();
            term.write(e.data);
          } else if (e.type === 'output') term.write(e.data);
          else {
            setEnded(e.reason);
            onChanged();
          }
        },
        abort.signal,
      )
      .catch((e: Error) => !abort.signal.aborted && setEnded(e.message));
    term.focus();
    return () => {
      abort.abort();
      observer.disconnect();
      clearTimeout(resizeTimer);
      onData.dispose();
      term.dispose();
    };
  }, [tid, generation]);

  const reconnect = async () => {
    if (!tid) return;
    try {
      await desk().call('reconnectTerminal', { params: { tid } });
      setEnded(undefined);
      setGeneration((g) => g + 1);
      onChanged();
    } catch (e) {
      setEnded((e as Error).message);
    }
  };

  return (
    <div className="terminal-view">
      {ended ? (
        <div className="banner banner-warning" role="status" data-testid="terminal-ended">
          {ended}.{' '}
          <button type="button" onClick={() => void reconnect()}>
            Reconnect
          </button>
        </div>
      ) : null}
      <div className="xterm-host" ref={host} data-testid="terminal" />
      <p className="muted small">Copy: select, then Ctrl+Shift+C · Paste: Ctrl+Shift+V · the screen stays when you leave this tab.</p>
    </div>
  );
}
