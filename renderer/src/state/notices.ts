// Notifications: a readable title, with the detail shown on demand.
import { create } from 'zustand';

export interface Notice {
  id: number;
  level: 'error' | 'info';
  title: string;
  detail?: string;
}

export interface NoticesState {
  notices: Notice[];
  push: (n: Omit<Notice, 'id'>) => void;
  dismiss: (id: number) => void;
}

let nextId = 1;

export const useNotices = create<NoticesState>()((set) => ({
  notices: [],
  push: (n) => set((s) => ({ notices: [...s.notices.slice(-4), { ...n, id: nextId++ }] })),
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
}));

/** Reports a failed action as a notice: what was being done, and the server's words. */
export function noticeError(action: string, e: unknown): void {
  useNotices.getState().push({ level: 'error', title: `${action} failed`, detail: (e as Error)?.message ?? String(e) });
}
