-- Records a finished run. @bytes_processed is -1 and @error '' when there is none.
INSERT INTO job_runs (
  job, run_id, status, as_of, since, watermark, started_at, finished_at,
  shoppers, changed, result_rows, bytes_processed, error
)
VALUES (
  @job, @run_id, @status, @as_of, @since, @watermark, @started_at, @finished_at,
  @shoppers, @changed, @result_rows, NULLIF(@bytes_processed, -1), NULLIF(@error, '')
)
