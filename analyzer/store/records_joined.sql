-- The `records` view of a store whose finishing passes have not written their results into
-- record_store (a store not finalized yet, or one written by seamscan before schema 2): the
-- same columns and values as records.sql, derived by joins on every read.
-- `step` is the record's own step or the one derived on the aligned clock (steps.sql).
-- Aligned = raw - offset; a clock found to step mid-run uses the offset of the segment its
-- raw time falls in (clock_segments), else its domain's offset.
CREATE OR REPLACE VIEW records AS
SELECT
    r.* EXCLUDE (session_own, session_rank, step) REPLACE (r.flags::VARCHAR[] AS flags),
    coalesce(s.session_id, r.session_own) AS session_id,
    r.session_own,
    coalesce(st.step, r.step) AS step,
    r.ts_raw_start - coalesce(g.offset_ns, c.offset_ns, 0) AS ts_start,
    r.ts_raw_end - coalesce(g.offset_ns, c.offset_ns, 0) AS ts_end
FROM record_store r
LEFT JOIN record_sessions s USING (record_id)
LEFT JOIN record_steps st USING (record_id)
LEFT JOIN clock_domains c ON c.domain = r.clock_domain
ASOF LEFT JOIN clock_segments g ON g.domain = r.clock_domain AND r.ts_raw_start >= g.raw_start_ns;

