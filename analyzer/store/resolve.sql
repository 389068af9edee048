-- Write the finishing passes' results into record_store once (session, step, aligned times),
-- so the `records` view is a projection. Run by Store.finalize after sessions.sql, clock
-- alignment and steps.sql; every finalize (a new ingest into an existing store) redoes it.
-- The narrow results, one row per record_store row in rowid order, are written into that row's
-- four resolved columns (Store._write_resolved: an UPDATE, or for a large table a rebuild with a
-- positional join).
CREATE OR REPLACE TEMP TABLE _resolved AS
SELECT rs.rowid AS rid,
       s.session_id,
       st.step,
       coalesce(g.offset_ns, c.offset_ns, 0) AS offset_ns
FROM record_store rs
LEFT JOIN record_sessions s USING (record_id)
LEFT JOIN record_steps st USING (record_id)
LEFT JOIN clock_domains c ON c.domain = rs.clock_domain
ASOF LEFT JOIN clock_segments g ON g.domain = rs.clock_domain AND rs.ts_raw_start >= g.raw_start_ns
ORDER BY rid;
