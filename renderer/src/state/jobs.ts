import { create } from 'zustand';
import type { JobView } from '../../../app/desk/contract.js';

export interface JobsState {
  byId: Record<string, JobView>;
  upsert: (job: JobView) => void;
}

export const useJobs = create<JobsState>()((set) => ({
  byId: {},
  // A snapshot older than the one held is dropped: see JobView.revision.
  upsert: (job) =>
    set((s) => {
      const held = s.byId[job.id];
      return held && held.revision > job.revision ? s : { byId: { ...s.byId, [job.id]: job } };
    }),
}));
