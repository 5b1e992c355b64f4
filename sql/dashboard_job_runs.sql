-- The operators' dashboard: the latest @runs_per_job runs of each batch job started in
-- [@history_since, @as_of), succeeded or failed.
SELECT job, run_id, status, started_at, finished_at, shoppers, changed, result_rows, bytes_processed, error
FROM job_runs
WHERE started_at >= @history_since AND started_at < @as_of
QUALIFY ROW_NUMBER() OVER (PARTITION BY job ORDER BY started_at DESC, run_id) <= @runs_per_job
ORDER BY job, started_at, run_id
