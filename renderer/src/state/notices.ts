// Notifications: a readable title, with the detail shown on demand. Info notices leave by
// themselves; errors stay until dismissed or until the same action succeeds (a failed scan's
// notice goes when the next scan works). One notice per action: a repeat replaces the last.
import { create } from 'zustand';

export interface Notice {
  id: number;
  level: 'error' | 'info';
  title: string;
  detail?: string;
  /** What was being done: a later notice or success of the same action replaces this one. */
  action?: string;
}

/** How long an info notice stays. */
export const INFO_NOTICE_MS = 6000;
const MAX_NOTICES = 5;

export interface NoticesState {
  notices: Notice[];
  push: (n: Omit<Notice, 'id'>) => void;
  dismiss: (id: number) => void;
  /** The action succeeded: its error notice (if any) is no longer true. */
  clearAction: (action: string) => void;
}

let nextId = 1;

export const useNotices = create<NoticesState>()((set, get) => ({
  notices: [],
  push: (n) => {
    const id = nextId++;
    set((s) => {
      const others = n.action ? s.notices.filter((o) => o.action !== n.action) : s.notices;
      return { notices: [...others.slice(-(MAX_NOTICES - 1)), { ...n, id }] };
    });
    if (n.level === 'info') setTimeout(() => get().dismiss(id), INFO_NOTICE_MS);
  },
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
  clearAction: (action) => set((s) => ({ notices: s.notices.filter((n) => n.action !== action) })),
}));

/** Reports a failed action as a notice: what was being done, and the server's words. */
export function noticeError(action: string, e: unknown): void {
  useNotices.getState().push({ level: 'error', title: `${action} failed`, detail: (e as Error)?.message ?? String(e), action });
}
