-- Session identity (SPEC 3): a record's own id by preference rank (conversation id, session id,
-- harness session, framework group), else inherited through a shared trace id, then through a
-- shared tool-call id (and that record's trace), else the trace id itself.
CREATE OR REPLACE TABLE record_sessions AS
WITH base AS (
    SELECT record_id, trace_id, tool_call_id, source_file,
           CASE WHEN session_own IS NOT NULL THEN lpad(session_rank::VARCHAR, 2, '0') || session_own END AS k0
    FROM record_store
),
by_trace AS (
    SELECT trace_id, min(k0) AS k FROM base WHERE k0 IS NOT NULL AND trace_id IS NOT NULL GROUP BY trace_id
),
pass1 AS (
    SELECT b.*, coalesce(b.k0, t.k) AS k1 FROM base b LEFT JOIN by_trace t USING (trace_id)
),
by_call AS (
    SELECT tool_call_id, min(k1) AS k FROM pass1
    WHERE k1 IS NOT NULL AND tool_call_id IS NOT NULL GROUP BY tool_call_id
),
pass2 AS (
    SELECT p.*, coalesce(p.k1, c.k) AS k2 FROM pass1 p LEFT JOIN by_call c USING (tool_call_id)
),
by_trace2 AS (
    SELECT trace_id, min(k2) AS k FROM pass2 WHERE k2 IS NOT NULL AND trace_id IS NOT NULL GROUP BY trace_id
)
SELECT p.record_id,
       coalesce(substr(coalesce(p.k2, t.k), 3), p.trace_id) AS session_id
FROM pass2 p LEFT JOIN by_trace2 t USING (trace_id);
