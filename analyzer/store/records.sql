-- The `records` view: a plain projection. Store.finalize writes each record's resolved session,
-- step and aligned times into record_store (resolve.sql), so no read of a view joins:
-- `session_id` is the resolved session (the record's own, else inherited, sessions.sql),
-- `step` the record's own step or the one derived on the aligned clock (steps.sql), and
-- ts_start/ts_end the raw times minus the offset of the record's clock (its segment's offset
-- where the clock was found to step, else its domain's). `flags` is kept as JSON text (schema.py)
-- and read back as a list.
CREATE OR REPLACE VIEW records AS
SELECT
    * EXCLUDE (session_own, session_rank, step, session_id, resolved_step, ts_start, ts_end)
      REPLACE (flags::VARCHAR[] AS flags),
    session_id,
    session_own,
    resolved_step AS step,
    ts_start,
    ts_end
FROM record_store;
