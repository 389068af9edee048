"""The store's record schema: one column list shared by every ingester and the DDL."""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = 3

# (column, DuckDB type, Arrow type). Ingesters emit rows in exactly this order.
RECORD_COLUMNS: list[tuple[str, str, pa.DataType]] = [
    ("record_id", "VARCHAR", pa.string()),
    ("file_id", "VARCHAR", pa.string()),
    ("seq", "BIGINT", pa.int64()),  # order of the record within its file
    ("source_kind", "VARCHAR", pa.string()),  # otlp / framework / harness
    ("source_format", "VARCHAR", pa.string()),  # otlp-proto, otlp-json, langsmith, ...
    ("layer", "VARCHAR", pa.string()),  # model / tool / agent / harness / other
    ("kind", "VARCHAR", pa.string()),  # llm_call, tool_call, tool_server, agent_run, span, log, <harness event>
    ("name", "VARCHAR", pa.string()),
    ("operation", "VARCHAR", pa.string()),  # gen_ai.operation.name or equivalent
    ("session_own", "VARCHAR", pa.string()),  # session id stated on the record itself
    ("session_rank", "TINYINT", pa.int8()),  # SPEC 3 preference of session_own (1 best)
    ("trace_id", "VARCHAR", pa.string()),
    ("span_id", "VARCHAR", pa.string()),
    ("parent_span_id", "VARCHAR", pa.string()),
    ("span_kind", "VARCHAR", pa.string()),  # internal / server / client / producer / consumer
    ("agent", "VARCHAR", pa.string()),
    ("model", "VARCHAR", pa.string()),
    ("tool_name", "VARCHAR", pa.string()),
    ("tool_call_id", "VARCHAR", pa.string()),
    ("step", "INTEGER", pa.int32()),
    ("attempt", "INTEGER", pa.int32()),
    ("status", "VARCHAR", pa.string()),  # ok / error / timeout / cancelled / unset
    ("status_message", "VARCHAR", pa.string()),
    ("error_type", "VARCHAR", pa.string()),
    ("error_message", "VARCHAR", pa.string()),
    ("args", "VARCHAR", pa.string()),
    ("result", "VARCHAR", pa.string()),
    ("text", "VARCHAR", pa.string()),
    ("input_messages", "JSON", pa.string()),  # normalized [{role, content, tool_calls?, tool_call_id?}]
    ("output_messages", "JSON", pa.string()),
    ("system_instructions", "VARCHAR", pa.string()),
    ("requested_tool_calls", "JSON", pa.string()),  # [{id, name, arguments}] asked for by a model output
    ("input_tokens", "BIGINT", pa.int64()),
    ("output_tokens", "BIGINT", pa.int64()),
    ("cache_read_tokens", "BIGINT", pa.int64()),
    ("cache_write_tokens", "BIGINT", pa.int64()),
    ("job_id", "VARCHAR", pa.string()),
    ("idempotency_key", "VARCHAR", pa.string()),
    ("resource", "VARCHAR", pa.string()),
    ("version", "VARCHAR", pa.string()),
    ("expected_version", "VARCHAR", pa.string()),
    ("timeout_ms", "DOUBLE", pa.float64()),
    ("http_status", "INTEGER", pa.int32()),
    ("waiting_for", "VARCHAR", pa.string()),
    ("scheduled_for_ns", "BIGINT", pa.int64()),
    ("deadline_ms", "DOUBLE", pa.float64()),
    ("clock_domain", "VARCHAR", pa.string()),
    ("ts_raw_start", "BIGINT", pa.int64()),  # ns since epoch on the record's own clock
    ("ts_raw_end", "BIGINT", pa.int64()),
    ("ts_raw_text", "VARCHAR", pa.string()),  # the timestamp exactly as written, when not already ns
    ("attrs", "JSON", pa.string()),  # every original attribute / field
    ("resource_attrs", "JSON", pa.string()),
    ("scope", "VARCHAR", pa.string()),
    ("events", "JSON", pa.string()),  # span events (exceptions, ...) [{name, ts, attrs}]
    ("links", "JSON", pa.string()),  # span links [{trace_id, span_id, attrs}]
    # data-quality flags, e.g. bad_span_id_length; ingesters emit a list, the store keeps its JSON
    # text (the views give the list back): DuckDB updates a list column by deleting and inserting
    # the whole row, so flagging 54k merged calls rewrote every big text of their rows (0.6 s)
    ("flags", "JSON", pa.list_(pa.string())),
    ("source_file", "VARCHAR", pa.string()),
    ("source_pos", "VARCHAR", pa.string()),
]

# Columns a store file keeps zstd-compressed: the large texts (every attribute, message lists).
# DuckDB's default tries each lightweight method on every segment: 2.7 s to write 200k rich
# spans to a file (137 MB) where zstd on these three takes 1.75 s (56 MB).
ZSTD_COLUMNS = frozenset({"attrs", "input_messages", "output_messages"})

COLUMN_NAMES = [c for c, _, _ in RECORD_COLUMNS]
COLUMN_INDEX = {c: i for i, c in enumerate(COLUMN_NAMES)}
ARROW_SCHEMA = pa.schema([(c, t) for c, _, t in RECORD_COLUMNS])
