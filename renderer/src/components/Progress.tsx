// A progress bar with its ETA, for a job.
import type { JobInfo } from '../../../electron/common/lab-api.js';
import { fmtSeconds } from '../lib/format.js';

export function Progress({ job, label }: { job: JobInfo | undefined; label: string }) {
  if (!job) return null;
  const pct = Math.round(job.progress * 100);
  const active = job.state === 'running' || job.state === 'queued';
  return (
    <div className="progress">
      <div className="bar" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
        <div className="fill" style={{ width: `${pct}%` }} />
      </div>
      <span className="eta">
        {pct}%{active && job.etaSeconds !== null ? ` · ETA ${fmtSeconds(job.etaSeconds)}` : ''}
        {job.message ? ` · ${job.message}` : ''}
      </span>
    </div>
  );
}
