// Waiting for a desk job to end, through the events the UI gets.
import type { JobView } from '../../app/desk/contract.js';
import type { JobRegistry } from '../../app/desk/jobs.js';

/** The job's view once it is no longer running. */
export function jobFinished(jobs: JobRegistry, id: string): Promise<JobView> {
  return new Promise<JobView>((resolve) => {
    const on = (j: JobView) => {
      if (j.id === id && j.state !== 'running') {
        jobs.events.off('job', on);
        resolve(j);
      }
    };
    jobs.events.on('job', on);
  });
}
