// A sandbox's logs: followed live, virtualised over a bounded buffer (the newest 100,000
// lines), search with highlight or "only matching lines", timestamps, previous container,
// word wrap, ANSI colours, download. Auto-scroll pauses when you scroll up and resumes at
// the bottom.
import { useVirtualizer } from '@tanstack/react-virtual';
import Anser from 'anser';
import { memo, useCallback, useEffect, useRef, useState } from 'react';
import { highlightParts, LogBuffer, matchingLines, splitTimestamp } from '../logs/log-buffer.js';
import { desk } from '../state/desk.js';

export const LOG_CAPACITY = 100_000;
const TAIL_LINES = 10_000;

const LogLine = memo(function LogLine({ text, query, showTs }: { text: string; query: string; showTs: boolean }) {
  const { ts, text: body } = splitTimestamp(text);
  const parts = Anser.ansiToJson(body, { json: true, remove_empty: true, use_classes: false });
  return (
    <>
      {showTs && ts ? <span className="log-ts">{ts} </span> : null}
      {parts.map((p, i) => {
        const style: React.CSSProperties = {};
        if (p.fg) style.color = `rgb(${p.fg})`;
        if (p.bg) style.backgroundColor = `rgb(${p.bg})`;
        if (p.decorations?.includes('bold')) style.fontWeight = 'bold';
        if (p.decorations?.includes('italic')) style.fontStyle = 'italic';
        if (p.decorations?.includes('underline')) style.textDecoration = 'underline';
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts of one line never reorder
          <span key={i} style={style}>
            {highlightParts(p.content, query).map((h, j) =>
              h.match ? (
                // biome-ignore lint/suspicious/noArrayIndexKey: as above
                <mark key={j}>{h.text}</mark>
              ) : (
                h.text
              ),
            )}
          </span>
        );
      })}
    </>
  );
});

/** `gone`: the sandbox was deleted — its lines stay on screen, nothing more is read. */
export function LogsPanel({ sandboxId, gone = false }: { sandboxId: string; gone?: boolean }) {
  const buffer = useRef(new LogBuffer(LOG_CAPACITY));
  const [version, setVersion] = useState(0);
  const [state, setState] = useState<{ kind: 'streaming' | 'ended' | 'error'; text: string }>({ kind: 'streaming', text: 'connecting…' });
  const [query, setQuery] = useState('');
  const [onlyMatching, setOnlyMatching] = useState(false);
  const [timestamps, setTimestamps] = useState(false);
  const [previous, setPrevious] = useState(false);
  const [wrap, setWrap] = useState(false);
  const [stick, setStick] = useState(true);
  const scroller = useRef<HTMLDivElement>(null);
  const pendingRender = useRef(false);

  useEffect(() => {
    if (gone) {
      setState({ kind: 'ended', text: 'the sandbox was deleted: these are the lines it wrote until then' });
      return;
    }
    const abort = new AbortController();
    buffer.current.clear();
    setVersion((v) => v + 1);
    setState({ kind: 'streaming', text: previous ? 'reading the previous container…' : 'following' });
    // Timestamps are always fetched, so the toggle only changes the display.
    desk()
      .logs(
        sandboxId,
        { follow: !previous, previous, timestamps: true, tailLines: TAIL_LINES },
        (e) => {
          if (e.type === 'lines') {
            buffer.current.append(e.lines);
            if (!pendingRender.current) {
              pendingRender.current = true;
              requestAnimationFrame(() => {
                pendingRender.current = false;
                setVersion((v) => v + 1);
              });
            }
          } else if (e.type === 'end') setState({ kind: 'ended', text: e.reason });
          else setState({ kind: 'error', text: e.message });
        },
        abort.signal,
      )
      .catch((e: Error) => {
        if (!abort.signal.aborted) setState({ kind: 'error', text: e.message });
      });
    return () => abort.abort();
  }, [sandboxId, previous, gone]);

  // Matching lines, recomputed only when the buffer (its version) or the query changed.
  const filterCache = useRef<{ key: string; lines: number[] } | undefined>(undefined);
  let filtered: number[] | undefined;
  if (onlyMatching && query) {
    const key = `${version}\u0000${query}`;
    if (filterCache.current?.key !== key) filterCache.current = { key, lines: matchingLines(buffer.current, query) };
    filtered = filterCache.current.lines;
  }
  const count = filtered ? filtered.length : buffer.current.length;
  const virtual = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => 18,
    overscan: 20,
  });

  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when new lines arrived
  useEffect(() => {
    if (stick && count > 0) virtual.scrollToIndex(count - 1, { align: 'end' });
  }, [version, stick, count]);

  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
    setStick(atBottom);
  }, []);

  const download = () => {
    // As text: the colours are for the screen, a saved log is read by other tools.
    const text = buffer.current
      .toArray()
      .map((l) => Anser.ansiToText(l))
      .join('\n');
    const blob = new Blob([`${text}\n`], { type: 'text/plain' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `sandbox-${sandboxId}${previous ? '-previous' : ''}.log`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };

  const b = buffer.current;
  return (
    <section className="logs" aria-label="Logs">
      <div className="toolbar logs-toolbar">
        <input type="search" aria-label="Search logs" placeholder="Search…" value={query} onChange={(e) => setQuery(e.target.value)} />
        <label>
          <input type="checkbox" checked={onlyMatching} onChange={(e) => setOnlyMatching(e.target.checked)} /> Only matching lines
        </label>
        <label>
          <input type="checkbox" checked={timestamps} onChange={(e) => setTimestamps(e.target.checked)} /> Timestamps
        </label>
        <label>
          <input type="checkbox" checked={wrap} onChange={(e) => setWrap(e.target.checked)} /> Wrap
        </label>
        <label>
          <input type="checkbox" checked={previous} onChange={(e) => setPrevious(e.target.checked)} /> Previous container
        </label>
        <button type="button" onClick={download}>
          Download
        </button>
      </div>
      <div className="logs-status muted" data-testid="logs-status" data-state={state.kind} data-total={b.total} data-length={b.length}>
        {state.kind === 'error' ? <span className="field-error">{state.text}</span> : state.text} · {b.length.toLocaleString()} line(s)
        {b.dropped ? ` (oldest ${b.dropped.toLocaleString()} dropped)` : ''}
        {filtered ? ` · ${filtered.length.toLocaleString()} matching` : ''}
        {!stick ? (
          <button type="button" className="link" onClick={() => setStick(true)}>
            Paused — jump to the end
          </button>
        ) : null}
      </div>
      <div className={`log-view${wrap ? ' wrap' : ''}`} ref={scroller} onScroll={onScroll} data-testid="log-view">
        <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
          {virtual.getVirtualItems().map((v) => {
            const index = filtered ? (filtered[v.index] ?? 0) : v.index;
            return (
              <div
                key={v.key}
                data-index={v.index}
                ref={virtual.measureElement}
                className="log-line"
                style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${v.start}px)` }}
              >
                <LogLine text={b.at(index)} query={query} showTs={timestamps} />
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}
