// The live sandbox table: every sandbox by id (from a full list, then watch events), with the
// filter, sort and selection the table shows. The visible rows are computed by a pure
// function so they can be tested and memoised.
import { create } from 'zustand';
import type { Sandbox } from '../../../app/sandbox/model.js';

export type SortKey = 'sandbox_id' | 'thread_id' | 'user_id' | 'status' | 'ready' | 'created_at' | 'node_port';

export interface SandboxesState {
  byId: ReadonlyMap<string, Sandbox>;
  loaded: boolean;
  filter: string;
  sort: { key: SortKey; dir: 1 | -1 };
  selected: ReadonlySet<string>;
  replaceAll: (list: Sandbox[]) => void;
  applyChanges: (changes: { id: string; sandbox: Sandbox | null }[]) => void;
  setFilter: (f: string) => void;
  sortBy: (key: SortKey) => void;
  toggleSelected: (id: string) => void;
  setSelected: (ids: Iterable<string>) => void;
}

export const useSandboxes = create<SandboxesState>()((set) => ({
  byId: new Map(),
  loaded: false,
  filter: '',
  sort: { key: 'created_at', dir: -1 },
  selected: new Set(),
  replaceAll: (list) =>
    set((s) => {
      const byId = new Map(list.map((sb) => [sb.sandbox_id, sb]));
      return { byId, loaded: true, selected: new Set([...s.selected].filter((id) => byId.has(id))) };
    }),
  applyChanges: (changes) =>
    set((s) => {
      if (!changes.length) return s;
      const byId = new Map(s.byId);
      let selected = s.selected;
      for (const c of changes) {
        if (c.sandbox) byId.set(c.id, c.sandbox);
        else {
          byId.delete(c.id);
          if (selected.has(c.id)) {
            selected = new Set(selected);
            (selected as Set<string>).delete(c.id);
          }
        }
      }
      return { byId, selected };
    }),
  setFilter: (filter) => set({ filter }),
  sortBy: (key) => set((s) => ({ sort: { key, dir: s.sort.key === key ? (-s.sort.dir as 1 | -1) : 1 } })),
  toggleSelected: (id) =>
    set((s) => {
      const selected = new Set(s.selected);
      if (selected.has(id)) selected.delete(id);
      else selected.add(id);
      return { selected };
    }),
  setSelected: (ids) => set({ selected: new Set(ids) }),
}));

const STATUS_ORDER: Record<string, number> = { Failed: 0, Unknown: 1, Pending: 2, Running: 3, Succeeded: 4, NotFound: 5 };

function compare(a: Sandbox, b: Sandbox, key: SortKey): number {
  switch (key) {
    case 'status':
      return (STATUS_ORDER[a.status] ?? 9) - (STATUS_ORDER[b.status] ?? 9);
    case 'ready':
      return Number(a.ready) - Number(b.ready);
    case 'node_port':
      return (a.node_port ?? 0) - (b.node_port ?? 0);
    default:
      return (a[key] ?? '').localeCompare(b[key] ?? '');
  }
}

/** Rows to show: those matching every word of the filter (id, thread, user, status, URL), sorted. */
export function visibleSandboxes(byId: ReadonlyMap<string, Sandbox>, filter: string, sort: SandboxesState['sort']): Sandbox[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const rows: Sandbox[] = [];
  for (const s of byId.values()) {
    if (words.length) {
      const hay = `${s.sandbox_id} ${s.thread_id ?? ''} ${s.user_id ?? ''} ${s.status} ${s.sandbox_url}`.toLowerCase();
      if (!words.every((w) => hay.includes(w))) continue;
    }
    rows.push(s);
  }
  rows.sort((a, b) => compare(a, b, sort.key) * sort.dir || a.sandbox_id.localeCompare(b.sandbox_id));
  return rows;
}

/**
 * The sort direction as a heading reads it: the Age column sorts by creation time, so newest
 * first (creation time descending) is age ascending (▲).
 */
export function shownDir(key: string, dir: 1 | -1): 1 | -1 {
  return key === 'created_at' ? (-dir as 1 | -1) : dir;
}
