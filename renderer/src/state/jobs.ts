import { create } from 'zustand';
import type { JobView } from '../../../app/desk/contract.js';

export interface JobsState {
  byId: Record<string, JobView>;
  upsert: (job: JobView) => void;
}

export const useJobs = create<JobsState>()((set) => ({
  byId: {},
  upsert: (job) => set((s) => ({ byId: { ...s.byId, [job.id]: job } })),
}));
