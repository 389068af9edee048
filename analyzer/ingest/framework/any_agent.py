"""any-agent `AgentTrace` dumps → store rows, one per span: `{"spans": [...], "final_output"}`.

A span is the OTel SDK's `ReadableSpan` as a dict (`name`, `kind`, `context`/`parent` with
`trace_id`/`span_id`, `start_time`/`end_time`, `status.status_code`, flat `attributes`,
`events`, `links`, `resource`). Ids are decimal integers (128-bit trace ids, span ids above
2^63; the SDK's `to_json` writes `0x`-hex instead), times epoch ns (or ISO text). The
attributes are OTel GenAI plus any-agent's `genai.output` / `gen_ai.tool.args`, normalized
like any OTLP span's."""

from __future__ import annotations

import json
from typing import Any

from analyzer.errors import InputError
from analyzer.ingest.base import json_lines
from analyzer.ingest.normalize.timestamps import to_ns
from analyzer.ingest.otlp.records import SPAN_KIND_NAMES, STATUS_CODE_NAMES, emit_span, resource_context
from analyzer.ingest.sink import RecordSink
from analyzer.ingest.source import SourceFile, read_document

_STATUS_CODES = {"unset": 0, "ok": 1, "error": 2}
_SPAN_KINDS = {name.removeprefix("SPAN_KIND_").lower(): code for name, code in SPAN_KIND_NAMES.items()}


def _is_span(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("context"), dict) and "name" in obj and "attributes" in obj


def _is_agent_trace(obj: Any) -> bool:
    if not isinstance(obj, dict) or not isinstance(obj.get("spans"), list):
        return False
    spans = obj["spans"]
    return (not spans and "final_output" in obj) or (bool(spans) and _is_span(spans[0]))


def span_id_hex(value: Any, nbytes: int) -> Any:
    """A decimal integer id (or `0x` hex text) as zero-padded hex; anything else as given,
    for the shared id check to flag."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return format(value, f"0{nbytes * 2}x") if value >= 0 else str(value)
    if isinstance(value, float):  # an id that lost its digits: kept as written, flagged by the id check
        return repr(value)
    if isinstance(value, str) and value[:2].lower() == "0x":
        return value[2:].rjust(nbytes * 2, "0")
    return value


def _code(value: Any, names: dict[str, int], short_names: dict[str, int]) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        key = value.lower().removeprefix("statuscode.").removeprefix("spankind.")
        return short_names.get(key, names.get(value, 0))
    return 0


class AnyAgentIngester:
    """any-agent AgentTrace JSON (one per document, or one per line)."""

    source_kind = "framework"
    source_format = "any-agent"

    def sniff(self, sample: Any, as_line: bool) -> bool:
        return _is_agent_trace(sample)

    def read_lines(self, src: SourceFile, sink: RecordSink) -> None:
        for number, obj in json_lines(src, sink, json.loads):
            if _is_agent_trace(obj):
                _read_trace(obj, f"line {number}:", src, sink)
            else:
                sink.problem(f"line {number}", "not an any-agent trace (no spans)")

    def read_document(self, doc: Any, src: SourceFile, sink: RecordSink) -> None:
        # parsed again by the stdlib: orjson reads a 128-bit integer trace id as a float
        try:
            exact = json.loads(read_document(src))
        except (ValueError, RecursionError) as exc:
            raise InputError(f"cannot read exact integer ids: {exc}") from exc
        _read_trace(exact if _is_agent_trace(exact) else doc, "", src, sink)


def _read_trace(doc: dict[str, Any], prefix: str, src: SourceFile, sink: RecordSink) -> None:
    for index, span in enumerate(doc["spans"]):
        position = f"{prefix}spans[{index}]"
        if not _is_span(span):
            sink.problem(position, "not a span (no context, name or attributes)")
            continue
        try:
            _span(span, position, src, sink)
        except (TypeError, ValueError, OverflowError, AttributeError) as exc:
            sink.problem(position, f"unexpected span structure: {type(exc).__name__}: {exc}")


def _time(value: Any, position: str, field: str, sink: RecordSink) -> int | None:
    try:
        return to_ns(value)
    except (ValueError, OverflowError) as exc:
        sink.problem(position, f"unparseable {field} {value!r}: {exc}")
        return None


def _span(span: dict[str, Any], position: str, src: SourceFile, sink: RecordSink) -> None:
    context = span["context"]
    parent = span.get("parent") if isinstance(span.get("parent"), dict) else {}
    resource = span.get("resource") if isinstance(span.get("resource"), dict) else {}
    resource_attrs = resource.get("attributes") if isinstance(resource.get("attributes"), dict) else {}
    status = span.get("status") if isinstance(span.get("status"), dict) else {}
    attrs = span["attributes"] if isinstance(span["attributes"], dict) else {}
    events = [
        {"name": e.get("name"), "ts": _time(e.get("timestamp"), position, "event timestamp", sink),
         "attrs": e.get("attributes") or {}}
        for e in span.get("events") or [] if isinstance(e, dict)
    ] or None
    links = [
        {"trace_id": span_id_hex((link.get("context") or {}).get("trace_id"), 16),
         "span_id": span_id_hex((link.get("context") or {}).get("span_id"), 8),
         "attrs": link.get("attributes") or {}}
        for link in span.get("links") or [] if isinstance(link, dict)
    ] or None
    emit_span(
        sink, position, resource_context(resource_attrs, src.path.name), None,
        span_id_hex(context.get("trace_id"), 16), span_id_hex(context.get("span_id"), 8),
        span_id_hex(parent.get("span_id"), 8),
        str(span.get("name") or ""),
        _code(span.get("kind"), SPAN_KIND_NAMES, _SPAN_KINDS),
        _time(span.get("start_time"), position, "start_time", sink),
        _time(span.get("end_time"), position, "end_time", sink),
        _code(status.get("status_code"), STATUS_CODE_NAMES, _STATUS_CODES),
        status.get("description"),
        attrs, events, links,
    )
