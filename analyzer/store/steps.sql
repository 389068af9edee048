-- Step (turn) of every record on the aligned clock. A record's own step wins (harness events
-- carry one); otherwise the step whose start precedes it in its session: the harness's
-- step.start events where the session has them, else each model call opens a new step.
-- Records before the first step start belong to step 0.
CREATE OR REPLACE TABLE record_steps AS
WITH r AS (
    SELECT rs.record_id, s.session_id, rs.kind, rs.step,
           rs.ts_raw_start - coalesce(g.offset_ns, c.offset_ns, 0) AS ts_start
    FROM record_store rs
    LEFT JOIN record_sessions s USING (record_id)
    LEFT JOIN clock_domains c ON c.domain = rs.clock_domain
    ASOF LEFT JOIN clock_segments g ON g.domain = rs.clock_domain AND rs.ts_raw_start >= g.raw_start_ns
),
harness_starts AS (
    SELECT session_id, step, min(ts_start) AS ts_start
    FROM r WHERE kind = 'step.start' AND step IS NOT NULL AND ts_start IS NOT NULL
    GROUP BY session_id, step
),
model_starts AS (
    SELECT session_id, row_number() OVER (PARTITION BY session_id ORDER BY ts_start, record_id)::INTEGER AS step, ts_start
    FROM r
    WHERE kind = 'llm_call' AND ts_start IS NOT NULL
      AND session_id NOT IN (SELECT session_id FROM harness_starts)
),
bounds AS (
    SELECT * FROM harness_starts UNION ALL SELECT * FROM model_starts
)
SELECT r.record_id,
       coalesce(r.step, b.step, CASE WHEN r.ts_start IS NOT NULL THEN 0 END) AS step
FROM r ASOF LEFT JOIN bounds b ON r.session_id = b.session_id AND r.ts_start >= b.ts_start;
