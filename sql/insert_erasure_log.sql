-- Records a completed erasure request: the keyed hash, never the user id; @rows_deleted is JSON text
-- (table → rows). A request already logged is not logged again, so a run that logged it and then
-- failed before marking it completed can log it once more safely.
INSERT INTO erasure_log (request_id, user_hash, requested_by, requested_at, completed_at, attempts, rows_deleted)
SELECT request_id, user_hash, requested_by, requested_at, completed_at, attempts, rows_deleted
FROM (
  SELECT
    @request_id AS request_id,
    @user_hash AS user_hash,
    @requested_by AS requested_by,
    @requested_at AS requested_at,
    @completed_at AS completed_at,
    @attempts AS attempts,
    PARSE_JSON(@rows_deleted) AS rows_deleted
) AS entry
WHERE NOT EXISTS (SELECT 1 FROM erasure_log AS logged WHERE logged.request_id = @request_id)
