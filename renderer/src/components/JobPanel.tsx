import { useEffect, useRef } from 'react';
import type { JobView } from '../../../app/desk/contract.js';
import { desk } from '../state/desk.js';
import { noticeError } from '../state/notices.js';
import { Progress } from './common.js';

/** A long job's state, progress and live output, with Cancel while it runs. */
export function JobPanel({ job }: { job: JobView }) {
  const out = useRef<HTMLPreElement>(null);
  const lines = job.lines;
  useEffect(() => {
    const el = out.current;
    if (el && lines.length) el.scrollTop = el.scrollHeight;
  }, [lines]);
  return (
    <section className={`job job-${job.state}`} aria-label={job.title} data-testid={`job-${job.kind}`} data-state={job.state}>
      <header>
        <strong>{job.title}</strong> <span className="job-state">{job.state}</span>
        {job.state === 'running' && job.cancellable ? (
          <button
            type="button"
            onClick={() =>
              desk()
                .call('cancelJob', { params: { id: job.id } })
                .catch((e) => noticeError('Cancel', e))
            }
          >
            Cancel
          </button>
        ) : null}
      </header>
      {job.progress ? <Progress done={job.progress.done} total={job.progress.total} /> : null}
      {job.lines.length ? (
        <pre ref={out} className="job-output">
          {job.lines.join('\n')}
        </pre>
      ) : null}
      {job.error ? (
        <div className="field-error" role="alert">
          {job.error}
        </div>
      ) : null}
    </section>
  );
}
