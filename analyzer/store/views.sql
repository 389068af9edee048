-- Rule-facing views (SPEC 3). Rules read only these, never record_store.

-- `records` (records.sql, or records_joined.sql for a store not finalized yet) is created first.
CREATE OR REPLACE VIEW llm_calls AS
SELECT * FROM records WHERE kind = 'llm_call';

-- Caller side (an agent's tool span, a harness dispatch) and tool side (a tool service span),
-- linked by tool_call_id, or by trace context where the tool side's parent is the caller span.
CREATE OR REPLACE VIEW tool_calls AS
SELECT
    r.*,
    CASE WHEN r.kind = 'tool_server' THEN 'tool' ELSE 'caller' END AS side,
    coalesce(r.tool_call_id, p.tool_call_id) AS call_key
FROM records r
LEFT JOIN record_store p
    ON r.kind = 'tool_server' AND r.tool_call_id IS NULL
   AND p.span_id = r.parent_span_id AND p.trace_id = r.trace_id AND p.kind = 'tool_call'
WHERE r.kind IN ('tool_call', 'tool_server')
   OR (r.source_kind = 'harness' AND r.kind LIKE 'tool.%');

CREATE OR REPLACE VIEW harness_events AS
SELECT * FROM records WHERE source_kind = 'harness';

CREATE OR REPLACE VIEW sessions AS
SELECT
    session_id,
    min(ts_start) AS ts_start,
    max(coalesce(ts_end, ts_start)) AS ts_end,
    count(*) AS records,
    list(DISTINCT source_kind ORDER BY source_kind) AS source_kinds,
    list(DISTINCT layer ORDER BY layer) AS layers,
    list(DISTINCT trace_id ORDER BY trace_id) FILTER (WHERE trace_id IS NOT NULL) AS trace_ids,
    list(DISTINCT agent ORDER BY agent) FILTER (WHERE agent IS NOT NULL) AS agents,
    min(ts_start) FILTER (WHERE kind = 'session.open') AS opened_at,
    max(ts_start) FILTER (WHERE kind = 'session.close') AS closed_at,
    max(deadline_ms) AS deadline_ms,
    count(*) FILTER (WHERE status IN ('error', 'timeout')) AS errors
FROM records
WHERE session_id IS NOT NULL
GROUP BY session_id;

CREATE OR REPLACE VIEW steps AS
SELECT
    session_id,
    step,
    min(ts_start) AS ts_start,
    max(coalesce(ts_end, ts_start)) AS ts_end,
    count(*) AS records
FROM records
WHERE session_id IS NOT NULL AND step IS NOT NULL
GROUP BY session_id, step;
