-- Step (turn) of every record on the aligned clock, first rule that applies:
--  1. the record's own step (harness events carry one);
--  2. the step of a harness event that names the record's span (span_id), or that shares its
--     tool-call id (tool spans) or dispatches a call the record requested (model calls);
--  3. the step whose start precedes it in its session: the harness's step.start events where
--     the session has them, else each model call opens a new step; before the first: step 0.
CREATE OR REPLACE TABLE record_steps AS
WITH r AS (
    SELECT rs.record_id, s.session_id, rs.kind, rs.step, rs.source_kind, rs.span_id, rs.tool_call_id,
           rs.requested_tool_calls,
           rs.ts_raw_start - coalesce(g.offset_ns, c.offset_ns, 0) AS ts_start
    FROM record_store rs
    LEFT JOIN record_sessions s USING (record_id)
    LEFT JOIN clock_domains c ON c.domain = rs.clock_domain
    ASOF LEFT JOIN clock_segments g ON g.domain = rs.clock_domain AND rs.ts_raw_start >= g.raw_start_ns
),
stepped AS (
    SELECT session_id, span_id, tool_call_id, kind, step FROM r
    WHERE source_kind = 'harness' AND step IS NOT NULL
),
by_span AS (
    SELECT session_id, span_id, min(step) AS step FROM stepped WHERE span_id IS NOT NULL GROUP BY ALL
),
by_call AS (
    SELECT session_id, tool_call_id, min(step) AS step FROM stepped
    WHERE tool_call_id IS NOT NULL AND kind IN ('tool.dispatch', 'tool.result', 'tool.retry', 'tool.timeout')
    GROUP BY ALL
),
by_request AS (
    SELECT r.record_id, min(c.step) AS step
    FROM (SELECT record_id, session_id, unnest(CAST(requested_tool_calls AS JSON[])) ->> 'id' AS call_id
          FROM r WHERE requested_tool_calls IS NOT NULL AND step IS NULL) r
    JOIN by_call c ON c.session_id = r.session_id AND c.tool_call_id = r.call_id
    GROUP BY r.record_id
),
linked AS (
    SELECT r.record_id, coalesce(r.step, bs.step, bc.step, br.step) AS step
    FROM r
    LEFT JOIN by_span bs ON r.source_kind <> 'harness' AND bs.session_id = r.session_id AND bs.span_id = r.span_id
    LEFT JOIN by_call bc ON r.source_kind <> 'harness' AND bc.session_id = r.session_id AND bc.tool_call_id = r.tool_call_id
    LEFT JOIN by_request br ON br.record_id = r.record_id
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
       coalesce(l.step, b.step, CASE WHEN r.ts_start IS NOT NULL THEN 0 END) AS step
FROM r
JOIN linked l USING (record_id)
ASOF LEFT JOIN bounds b ON r.session_id = b.session_id AND r.ts_start >= b.ts_start;
