"""Row values of the framework ingesters (LangSmith, Langfuse, OpenAI Agents): payloads as text,
integers that fit their column, timestamps read with problems reported, and the hand-over of
finished rows (dicts by column name, plus `_`-prefixed working keys) to the sink."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
import pyarrow as pa

from analyzer.ingest.normalize import semconv
from analyzer.ingest.sink import RecordSink
from analyzer.ingest.normalize.timestamps import to_ns
from analyzer.store.schema import RECORD_COLUMNS

FRAMEWORK_SESSION_RANK = 4  # SPEC 3: a framework's own thread / group id
FRAMEWORK_SESSION_KEYS = ("thread_id", "session_id", "conversation_id")  # metadata keys that hold it

_INT64 = 1 << 63
_ROW_TYPES = {name: arrow_type for name, _, arrow_type in RECORD_COLUMNS}


def problem_position(position: str) -> str:
    """A record position as problems name it: JSON Lines positions ("12", "12:post[0]") get
    the "line" prefix that malformed-line problems use."""
    head = re.split(r"[#:\[]", position, maxsplit=1)[0]
    return f"line {position}" if head.isdigit() else position


def json_text(value: Any) -> str | None:
    """semconv.json_text, also for structures nested deeper than orjson writes."""
    try:
        return semconv.json_text(value)
    except TypeError:
        return dump_json(value)


def dump_json(value: Any) -> str:
    """JSON text of any parsed value; stdlib json takes over where orjson's depth limit stops."""
    try:
        return orjson.dumps(value, default=str).decode()
    except TypeError:
        pass
    try:
        return json.dumps(value, default=str, ensure_ascii=False)
    except (RecursionError, ValueError, TypeError):
        return json.dumps(f"<value nested too deeply to write: {type(value).__name__}>")


def maybe_json(value: Any) -> Any:
    """A JSON object, array or string literal written as text, parsed; anything else as is.
    Unlike semconv's attribute parsing, leading white space and string literals count."""
    if isinstance(value, str):
        head = value.lstrip()[:1]
        if head in ("{", "[", '"'):
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                return value
    return value


def payload_text(value: Any) -> str | None:
    """A payload column value: text as written (a JSON string literal unwrapped once, so a
    tool's text result reads as the model saw it), structures as JSON."""
    if isinstance(value, str):
        if value[:1] == '"':
            inner = maybe_json(value)
            if isinstance(inner, str):
                return inner
        return value
    return json_text(value)


def int_or_none(value: Any, bits: int = 64) -> int | None:
    """An integer column value, or None for anything that is not a number that fits."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    limit = 1 << (bits - 1)
    return number if -limit <= number < limit else None


def read_time(value: Any, position: str, field_name: str, sink: RecordSink, flags: list[str]) -> int | None:
    """ns of a timestamp (ISO 8601 or epoch number); an unreadable one is reported and flagged."""
    try:
        ns = to_ns(value)
    except (ValueError, OverflowError) as exc:
        sink.problem(problem_position(position), f"unparseable {field_name} {value!r}: {exc}")
        flags.append("bad_timestamp")
        return None
    if ns is not None and not -_INT64 <= ns < _INT64:
        sink.problem(problem_position(position), f"{field_name} {value!r} is out of range")
        flags.append("bad_timestamp")
        return None
    return ns


def clean_row(row: dict[str, Any]) -> dict[str, Any]:
    """Make every value fit its column: text columns get text (a stray structure as JSON),
    integer columns an in-range integer or None."""
    for name, value in row.items():
        if value is None or name == "flags":
            continue
        arrow_type = _ROW_TYPES[name]
        if pa.types.is_string(arrow_type):
            if not isinstance(value, str):
                row[name] = json_text(value)
        elif pa.types.is_integer(arrow_type):
            row[name] = int_or_none(value, arrow_type.bit_width)
        elif pa.types.is_floating(arrow_type) and not isinstance(value, float):
            try:
                row[name] = float(value)
            except (TypeError, ValueError, OverflowError):
                row[name] = None
    return row


def add_rows(rows: list[dict[str, Any]], sink: RecordSink) -> None:
    """Append finished rows to the sink at their `_pos`: the other working keys (`_`-prefixed)
    dropped, an empty flag list as null, every value fitted to its column."""
    for row in rows:
        position = row.pop("_pos")
        for key in [key for key in row if key.startswith("_")]:
            del row[key]
        row["flags"] = row["flags"] or None
        sink.add(position, **clean_row(row))
