"""Post-load passes over record_store that need records of several spans (or files):

- one record per call: where a framework writes one model or tool call twice (ADK's `call_llm`
  around `generate_content`, Agno's `OpenAIChat.invoke` around `chat ...`: an llm_call whose only
  llm_call child is the same call; BeeAI's `<target>.start-N` / `.success-N` / `.finish-N`
  event spans), the copies are merged into one record. The kept record takes every column it
  lacks from the others, and their identity and raw attributes in its `merged` column (its own
  attributes stay as written); their children and log records move to it.
- GenAI events as log records lend their messages to their span where the span has none; a
  model call still without text takes it from its output messages; a tool call without
  arguments or result takes them from the model messages that carry its call id.

Both are plain SQL over the whole table, so they also work across files and stay vectorized."""

from __future__ import annotations

import duckdb

# columns the kept record takes from a merged copy when it has none
FILLED_COLUMNS = (
    "agent", "model", "tool_name", "tool_call_id", "error_type", "error_message", "status_message",
    "args", "result", "text", "input_messages", "output_messages", "system_instructions",
    "requested_tool_calls", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
    "events",
)
# a BeeAI event span's name: the emitter target, the event, its running number
EVENT_SPAN_NAME = r"^(.+)\.(start|success|finish|error)-([0-9]+)$"
EVENT_PHASE_ORDER = "CASE phase WHEN 'start' THEN 0 WHEN 'success' THEN 1 WHEN 'error' THEN 2 ELSE 3 END"
# message columns a span takes from the GenAI event log records attached to it
LENT_COLUMNS = ("input_messages", "output_messages", "system_instructions", "requested_tool_calls")


def _flag_added(flag: str) -> str:
    """SQL: record_store r's flags with `flag` appended (the store keeps them as JSON text)."""
    return f"to_json(list_append(coalesce(r.flags::VARCHAR[], []::VARCHAR[]), '{flag}'))"


_MERGE_PAIRS = f"""
CREATE OR REPLACE TEMP TABLE _call_merge AS
WITH llm_children AS (
    SELECT p.record_id AS outer_id, list(c.record_id) AS inner_ids
    FROM record_store p JOIN record_store c
      ON c.trace_id = p.trace_id AND c.parent_span_id = p.span_id AND c.kind = 'llm_call'
    WHERE p.kind = 'llm_call'
    GROUP BY p.record_id
),
nested AS (
    SELECT outer_id AS keep_id, inner_ids[1] AS drop_id, 0 AS drop_rank, false AS event_spans
    FROM llm_children
    WHERE len(inner_ids) = 1
      AND inner_ids[1] NOT IN (SELECT outer_id FROM llm_children)
      AND outer_id NOT IN (SELECT unnest(inner_ids) FROM llm_children)
),
event_spans AS (
    SELECT record_id, seq, trace_id, kind,
           regexp_extract(name, '{EVENT_SPAN_NAME}', 1) AS target,
           regexp_extract(name, '{EVENT_SPAN_NAME}', 2) AS phase,
           regexp_extract(name, '{EVENT_SPAN_NAME}', 3) AS number
    FROM record_store
    WHERE kind IN ('llm_call', 'tool_call') AND regexp_matches(name, '{EVENT_SPAN_NAME}')
),
event_groups AS (
    SELECT trace_id, kind, target, number,
           arg_min(record_id, [({EVENT_PHASE_ORDER}), seq]) AS keep_id
    FROM event_spans
    GROUP BY ALL HAVING count(*) > 1
)
SELECT * FROM nested
UNION ALL
SELECT g.keep_id, e.record_id, {EVENT_PHASE_ORDER.replace("phase", "e.phase")}, true
FROM event_groups g JOIN event_spans e USING (trace_id, kind, target, number)
WHERE e.record_id <> g.keep_id
"""


def _merge_sql() -> list[str]:
    firsts = ",\n    ".join(
        f"first(d.{c} ORDER BY m.drop_rank, d.seq) FILTER (WHERE d.{c} IS NOT NULL) AS {c}" for c in FILLED_COLUMNS
    )
    fills = ",\n    ".join(f"{c} = coalesce(r.{c}, x.{c})" for c in FILLED_COLUMNS)
    return [
        f"""CREATE OR REPLACE TEMP TABLE _call_merge_values AS
SELECT m.keep_id,
    {firsts},
    bool_or(d.status = 'error') AS any_error,
    min(d.session_rank) AS session_rank,
    arg_min(d.session_own, d.session_rank) AS session_own,
    max(d.ts_raw_start) FILTER (WHERE m.event_spans) AS event_end_ns,
    list(json_object('span_id', d.span_id, 'name', d.name, 'source_file', d.source_file,
                     'source_pos', d.source_pos, 'kind', d.kind, 'attrs', d.attrs)
         ORDER BY m.drop_rank, d.seq) AS merged
FROM _call_merge m JOIN record_store d ON d.record_id = m.drop_id
GROUP BY m.keep_id""",
        f"""UPDATE record_store r SET
    {fills},
    status = CASE WHEN x.any_error THEN 'error' ELSE r.status END,
    session_own = CASE WHEN r.session_own IS NULL OR x.session_rank < r.session_rank
                       THEN coalesce(x.session_own, r.session_own) ELSE r.session_own END,
    session_rank = CASE WHEN r.session_own IS NULL OR x.session_rank < r.session_rank
                        THEN coalesce(x.session_rank, r.session_rank) ELSE r.session_rank END,
    ts_raw_end = CASE WHEN x.event_end_ns IS NOT NULL THEN greatest(r.ts_raw_start, x.event_end_ns)
                      ELSE r.ts_raw_end END,
    merged = to_json(CASE WHEN r.merged IS NULL THEN x.merged ELSE list_concat(r.merged::JSON[], x.merged) END),
    flags = {_flag_added('merged_duplicate_call')}
FROM _call_merge_values x WHERE r.record_id = x.keep_id""",
        # children and log records of a dropped copy now hang on the kept record
        """UPDATE record_store r SET parent_span_id = k.span_id
FROM _call_merge m JOIN record_store d ON d.record_id = m.drop_id JOIN record_store k ON k.record_id = m.keep_id
WHERE r.trace_id = d.trace_id AND r.parent_span_id = d.span_id AND r.record_id <> k.record_id""",
        """UPDATE record_store r SET span_id = k.span_id
FROM _call_merge m JOIN record_store d ON d.record_id = m.drop_id JOIN record_store k ON k.record_id = m.keep_id
WHERE r.kind = 'log' AND r.trace_id = d.trace_id AND r.span_id = d.span_id""",
        "DELETE FROM record_store WHERE record_id IN (SELECT drop_id FROM _call_merge)",
        "DROP TABLE _call_merge_values",
        "DROP TABLE _call_merge",
    ]


def _lend_sql() -> str:
    aggregates = ",\n    ".join(
        f"flatten(list({c}::JSON[] ORDER BY seq) FILTER (WHERE {c} IS NOT NULL)) AS {c}"
        for c in ("input_messages", "output_messages", "requested_tool_calls")
    )
    fills = ",\n    ".join(
        f"{c} = coalesce(r.{c}, CASE WHEN len(e.{c}) > 0 THEN to_json(e.{c}) END)"
        for c in ("input_messages", "output_messages", "requested_tool_calls")
    )
    return f"""UPDATE record_store r SET
    {fills},
    system_instructions = coalesce(r.system_instructions, e.system_instructions)
FROM (
    SELECT trace_id, span_id,
        {aggregates},
        first(system_instructions ORDER BY seq) FILTER (WHERE system_instructions IS NOT NULL) AS system_instructions
    FROM record_store
    WHERE kind = 'log' AND span_id IS NOT NULL
      AND (input_messages IS NOT NULL OR output_messages IS NOT NULL OR system_instructions IS NOT NULL)
    GROUP BY trace_id, span_id
) e
WHERE r.kind <> 'log' AND r.trace_id = e.trace_id AND r.span_id = e.span_id"""


# a model call's text: what its output messages say, when nothing gave it text directly. Only
# messages whose JSON holds the key "content" can say anything: a cheap test that spares the
# JSON reading of the outputs that only request tool calls (0.04 s at 200k rich spans)
_WANTING_TEXT = ("kind = 'llm_call' AND text IS NULL AND output_messages IS NOT NULL"
                 " AND contains(output_messages, '\"content\"')")
_TEXT_FROM_OUTPUT_SQL = f"""UPDATE record_store r SET text = x.text
FROM (
    SELECT record_id, string_agg(message ->> 'content', chr(10) ORDER BY position) AS text
    FROM (
        SELECT record_id, unnest(output_messages::JSON[]) AS message,
               generate_subscripts(output_messages::JSON[], 1) AS position
        FROM record_store
        WHERE {_WANTING_TEXT}
    )
    WHERE coalesce(message ->> 'role', 'assistant') NOT IN ('tool', 'system', 'user')
      AND message ->> 'content' IS NOT NULL AND message ->> 'content' <> ''
    GROUP BY record_id
) x
WHERE r.record_id = x.record_id"""


# A tool call recorded without its arguments or result (a Langfuse TOOL observation with no input,
# an OpenInference tool span without output) takes them from the model messages of its trace that
# carry its call id: the model's request, the tool message sent back. Flagged where it happens.
_WANTING = "kind IN ('tool_call', 'tool_server') AND tool_call_id IS NOT NULL AND ({missing} IS NULL)"
_TOOLS_WANTING = f"SELECT DISTINCT trace_id FROM record_store WHERE {_WANTING}"
_TOOL_ARGS_FROM_REQUESTS_SQL = f"""UPDATE record_store r
SET args = q.arguments, flags = {_flag_added('args_from_model_request')}
FROM (
    SELECT trace_id, call ->> 'id' AS call_id, first(call ->> 'arguments' ORDER BY seq) AS arguments
    FROM (
        SELECT trace_id, seq, unnest(requested_tool_calls::JSON[]) AS call FROM record_store
        WHERE kind = 'llm_call' AND requested_tool_calls IS NOT NULL
          AND trace_id IN ({_TOOLS_WANTING.format(missing="args")})
    )
    WHERE call ->> 'id' IS NOT NULL AND call ->> 'arguments' IS NOT NULL
    GROUP BY ALL
) q
WHERE r.kind IN ('tool_call', 'tool_server') AND r.args IS NULL
  AND r.trace_id = q.trace_id AND r.tool_call_id = q.call_id"""
_TOOL_RESULTS_FROM_MESSAGES_SQL = f"""UPDATE record_store r
SET result = q.content, flags = {_flag_added('result_from_model_input')}
FROM (
    SELECT trace_id, message ->> 'tool_call_id' AS call_id, first(message ->> 'content' ORDER BY seq) AS content
    FROM (
        SELECT trace_id, seq, unnest(input_messages::JSON[]) AS message FROM record_store
        WHERE kind = 'llm_call' AND input_messages IS NOT NULL
          AND trace_id IN ({_TOOLS_WANTING.format(missing="result")})
    )
    WHERE message ->> 'role' = 'tool' AND message ->> 'tool_call_id' IS NOT NULL AND message ->> 'content' IS NOT NULL
    GROUP BY ALL
) q
WHERE r.kind IN ('tool_call', 'tool_server') AND r.result IS NULL AND r.error_message IS NULL
  AND r.trace_id = q.trace_id AND r.tool_call_id = q.call_id"""


def merge_calls_and_lend_events(con: duckdb.DuckDBPyConnection) -> None:
    """Run both passes (idempotent: a second run finds nothing left to merge or fill)."""
    con.execute(_MERGE_PAIRS)
    if con.execute("SELECT count(*) FROM _call_merge").fetchone()[0]:
        for statement in _merge_sql():
            con.execute(statement)
    else:
        con.execute("DROP TABLE _call_merge")
    # each fill runs only when some record wants it: an UPDATE that finds nothing still costs
    # its scans and JSON reads (~0.15 s for the three at 200k rich spans)
    if _any(con, "kind = 'log' AND span_id IS NOT NULL"):
        con.execute(_lend_sql())
    if _any(con, _WANTING_TEXT):
        con.execute(_TEXT_FROM_OUTPUT_SQL)
    if _any(con, _WANTING.format(missing="args")):
        con.execute(_TOOL_ARGS_FROM_REQUESTS_SQL)
    if _any(con, _WANTING.format(missing="result")):
        con.execute(_TOOL_RESULTS_FROM_MESSAGES_SQL)


def _any(con: duckdb.DuckDBPyConnection, where: str) -> bool:
    return con.execute(f"SELECT EXISTS (SELECT 1 FROM record_store WHERE {where})").fetchone()[0]
