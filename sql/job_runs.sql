-- One row per finished batch job run, succeeded or failed: the patterns job's watermark, and the
-- operators' history. No personal data.
CREATE TABLE IF NOT EXISTS job_runs (
  job STRING NOT NULL OPTIONS (description = 'patterns, erasure, retention or metrics.'),
  run_id STRING NOT NULL,
  status STRING NOT NULL OPTIONS (description = 'succeeded or failed.'),
  as_of TIMESTAMP NOT NULL,
  since TIMESTAMP NOT NULL OPTIONS (description = 'Shoppers with events received at or after this were processed.'),
  watermark TIMESTAMP NOT NULL OPTIONS (description = 'The since of the next run, once this one succeeded.'),
  started_at TIMESTAMP NOT NULL,
  finished_at TIMESTAMP NOT NULL,
  shoppers INT64 NOT NULL OPTIONS (description = 'Shoppers processed.'),
  changed INT64 NOT NULL OPTIONS (description = 'Shoppers whose result changed and was published.'),
  result_rows INT64 NOT NULL OPTIONS (description = 'Rows the queries answered.'),
  bytes_processed INT64 OPTIONS (description = 'Bytes the queries scanned; NULL on DuckDB.'),
  error STRING OPTIONS (description = 'Why a failed run failed.')
)
CLUSTER BY job
OPTIONS (description = 'Batch job runs: history, watermarks and costs.');
