// The sandbox table's column widths: resizable by dragging a heading's edge, kept between
// runs (localStorage), each within bounds so no column can vanish or swallow the table.
import { create } from 'zustand';

export const COLUMN_KEYS = ['sandbox_id', 'thread_id', 'user_id', 'status', 'ready', 'url', 'created_at', 'node_port', 'actions'] as const;
export type ColumnKey = (typeof COLUMN_KEYS)[number];

/** Each column's smallest width: together they fit the table of a 1024 px window (780 px). */
export const DEFAULT_WIDTHS: Record<ColumnKey, number> = {
  sandbox_id: 116,
  thread_id: 84,
  user_id: 64,
  status: 88,
  ready: 56,
  url: 100,
  created_at: 48,
  node_port: 60,
  actions: 128,
};
export const MIN_WIDTH = 48;
export const MAX_WIDTH = 900;
const STORAGE_KEY = 'sandbox-columns';

export function clampWidth(w: number): number {
  return Math.round(Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, Number.isFinite(w) ? w : MIN_WIDTH)));
}

/** Saved widths, each checked; anything unreadable falls back to the default. */
export function readWidths(raw: string | null): Record<ColumnKey, number> {
  const widths = { ...DEFAULT_WIDTHS };
  try {
    const saved = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    for (const k of COLUMN_KEYS) if (typeof saved[k] === 'number') widths[k] = clampWidth(saved[k] as number);
  } catch {
    // defaults
  }
  return widths;
}

/**
 * The grid template of a row: the checkbox, then each column at least at its width, sharing
 * any room left in proportion to those widths.
 */
export function gridTemplate(widths: Record<ColumnKey, number>): string {
  return `36px ${COLUMN_KEYS.map((k) => `minmax(${widths[k]}px, ${widths[k]}fr)`).join(' ')}`;
}

/** The narrowest the table can be (wider than its window: it scrolls sideways, nothing is cut). */
export function tableMinWidth(widths: Record<ColumnKey, number>): number {
  return 36 + COLUMN_KEYS.reduce((sum, k) => sum + widths[k], 0);
}

interface ColumnsState {
  widths: Record<ColumnKey, number>;
  setWidth: (k: ColumnKey, w: number) => void;
  reset: () => void;
}

const storage = () => (typeof localStorage === 'undefined' ? undefined : localStorage);

export const useColumns = create<ColumnsState>()((set) => ({
  widths: readWidths(storage()?.getItem(STORAGE_KEY) ?? null),
  setWidth: (k, w) =>
    set((s) => {
      const widths = { ...s.widths, [k]: clampWidth(w) };
      storage()?.setItem(STORAGE_KEY, JSON.stringify(widths));
      return { widths };
    }),
  reset: () => {
    storage()?.removeItem(STORAGE_KEY);
    set({ widths: { ...DEFAULT_WIDTHS } });
  },
}));
