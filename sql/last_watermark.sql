-- Where the next run of @job starts: the watermark of its latest successful run (NULL before the first).
SELECT MAX(watermark) AS watermark
FROM job_runs
WHERE job = @job AND status = 'succeeded'
