"""Spans dumped as dicts by SDKs rather than exported as OTLP → store rows, one per span:

- any-agent `AgentTrace`: `{"spans": [...], "final_output"}`;
- the OTel Python SDK's `span.to_json()` (what `ConsoleSpanExporter` prints): a JSON array of
  spans, one span per line, or pretty-printed spans one after another;
- MLflow traces: `{"info", "data": {"spans": [...]}}` or the bare `{"spans": [...]}`.

An SDK span has `name`, `kind`, `context`/`parent` (or `parent_id`) with `trace_id`/`span_id`,
`start_time`/`end_time`, `status.status_code`, flat `attributes`, `events`, `links`,
`resource`. Its ids are decimal integers (any-agent: 128-bit trace ids, span ids above 2^63)
or `0x` hex (`to_json`), times epoch ns or ISO text. An MLflow span has OTLP-like keys
(`span_id`, `parent_span_id` in base64, `start_time_unix_nano`, `status.code`) and every
attribute value JSON-encoded. Attributes are normalized like any OTLP span's."""

from __future__ import annotations

import json
from typing import Any, Callable

import orjson

from analyzer.errors import InputError
from analyzer.ingest.base import json_lines, json_sequence
from analyzer.ingest.normalize.timestamps import to_ns
from analyzer.ingest.otlp.records import SPAN_KIND_NAMES, STATUS_CODE_NAMES, emit_span, resource_context
from analyzer.ingest.sink import RecordSink
from analyzer.ingest.source import SourceFile, read_document

_STATUS_CODES = {"unset": 0, "ok": 1, "error": 2}
_SPAN_KINDS = {name.removeprefix("SPAN_KIND_").lower(): code for name, code in SPAN_KIND_NAMES.items()}


def _is_sdk_span(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("context"), dict) and "name" in obj and "attributes" in obj


def _is_mlflow_span(obj: Any) -> bool:
    return isinstance(obj, dict) and "span_id" in obj and "start_time_unix_nano" in obj and "name" in obj


def _is_agent_trace(obj: Any) -> bool:
    if not isinstance(obj, dict) or not isinstance(obj.get("spans"), list):
        return False
    spans = obj["spans"]
    return (not spans and "final_output" in obj) or (bool(spans) and _is_sdk_span(spans[0]))


def _mlflow_spans(obj: Any) -> Any:
    """The span list of an MLflow trace (`{"info", "data": {"spans"}}` or `{"spans"}`), else None."""
    if not isinstance(obj, dict):
        return None
    data = obj.get("data") if isinstance(obj.get("data"), dict) and "info" in obj else obj
    spans = data.get("spans") if isinstance(data, dict) else None
    if isinstance(spans, list) and spans and _is_mlflow_span(spans[0]):
        return spans
    return None


def span_id_hex(value: Any, nbytes: int) -> Any:
    """A decimal integer id (or `0x` hex text) as zero-padded hex; anything else as given,
    for the shared id check to normalize (base64, hex) or flag."""
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


def _exact_json(src: SourceFile, doc: Any, accepts: Callable[[Any], bool]) -> Any:
    """The document parsed again by the stdlib: orjson reads a 128-bit integer id as a float."""
    data = read_document(src)
    try:
        exact = json.loads(data)
    except ValueError:  # values one after another (ConsoleSpanExporter), read as a list
        try:
            exact = json_sequence(data)
        except (ValueError, RecursionError) as exc:
            raise InputError(f"cannot read exact integer ids: {exc}") from exc
    except RecursionError as exc:
        raise InputError(f"cannot read exact integer ids: {exc}") from exc
    return exact if accepts(exact) else doc


class AnyAgentIngester:
    """any-agent AgentTrace JSON (one per document, or one per line)."""

    source_kind = "framework"
    source_format = "any-agent"

    def sniff(self, sample: Any, as_line: bool) -> bool:
        return _is_agent_trace(sample)

    def read_lines(self, src: SourceFile, sink: RecordSink) -> None:
        for number, obj in json_lines(src, sink, json.loads):
            if _is_agent_trace(obj):
                _read_spans(obj["spans"], f"line {number}:spans", src, sink, _sdk_span)
            else:
                sink.problem(f"line {number}", "not an any-agent trace (no spans)")

    def read_document(self, doc: Any, src: SourceFile, sink: RecordSink) -> None:
        _read_spans(_exact_json(src, doc, _is_agent_trace)["spans"], "spans", src, sink, _sdk_span)


class OtelSdkSpansIngester:
    """The OTel Python SDK's `span.to_json()`: a JSON array of spans, or one span per line."""

    source_kind = "otlp"
    source_format = "otel-sdk-spans"

    def sniff(self, sample: Any, as_line: bool) -> bool:
        if isinstance(sample, list) and not as_line:
            return bool(sample) and _is_sdk_span(sample[0])
        return _is_sdk_span(sample)

    def read_lines(self, src: SourceFile, sink: RecordSink) -> None:
        for number, obj in json_lines(src, sink, json.loads):
            _read_spans([obj], f"line {number}:", src, sink, _sdk_span, index_positions=False)

    def read_document(self, doc: Any, src: SourceFile, sink: RecordSink) -> None:
        exact = _exact_json(src, doc, lambda d: isinstance(d, list))
        if isinstance(exact, dict):
            exact = [exact]
        _read_spans(exact, "", src, sink, _sdk_span)


class MlflowTraceIngester:
    """MLflow `Trace.to_json()` (`{"info", "data": {"spans"}}`) or its `{"spans"}` artifact."""

    source_kind = "framework"
    source_format = "mlflow"

    def sniff(self, sample: Any, as_line: bool) -> bool:
        return _mlflow_spans(sample) is not None

    def read_lines(self, src: SourceFile, sink: RecordSink) -> None:
        for number, obj in json_lines(src, sink):
            spans = _mlflow_spans(obj)
            if spans is None:
                sink.problem(f"line {number}", "not an MLflow trace (no spans)")
            else:
                _read_spans(spans, f"line {number}:spans", src, sink, _mlflow_span)

    def read_document(self, doc: Any, src: SourceFile, sink: RecordSink) -> None:
        prefix = "data.spans" if "info" in doc else "spans"
        _read_spans(_mlflow_spans(doc), prefix, src, sink, _mlflow_span)


def _read_spans(spans: list, prefix: str, src: SourceFile, sink: RecordSink, read: Callable,
                index_positions: bool = True) -> None:
    for index, span in enumerate(spans):
        position = f"{prefix}[{index}]" if index_positions else prefix.rstrip(":")
        if not isinstance(span, dict) or not isinstance(span.get("attributes", {}), dict) or "name" not in span:
            sink.problem(position, "not a span (no name or attributes)")
            continue
        try:
            read(span, position, src, sink)
        except (TypeError, ValueError, OverflowError, AttributeError, KeyError) as exc:
            sink.problem(position, f"unexpected span structure: {type(exc).__name__}: {exc}")


def _time(value: Any, position: str, field: str, sink: RecordSink) -> int | None:
    try:
        return to_ns(value)
    except (ValueError, OverflowError) as exc:
        sink.problem(position, f"unparseable {field} {value!r}: {exc}")
        return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _events(span: dict[str, Any], time_key: str, position: str, sink: RecordSink) -> list[dict[str, Any]] | None:
    return [
        {"name": e.get("name"), "ts": _time(e.get(time_key), position, f"event {time_key}", sink),
         "attrs": _dict(e.get("attributes"))}
        for e in span.get("events") or [] if isinstance(e, dict)
    ] or None


def _sdk_span(span: dict[str, Any], position: str, src: SourceFile, sink: RecordSink) -> None:
    context = span.get("context")
    if not isinstance(context, dict):
        raise ValueError("no context")
    parent = _dict(span.get("parent"))
    parent_id = parent.get("span_id") if parent else span.get("parent_id")
    resource = _dict(span.get("resource"))
    status = _dict(span.get("status"))
    events = _events(span, "timestamp", position, sink)
    links = [
        {"trace_id": span_id_hex(_dict(link.get("context")).get("trace_id"), 16),
         "span_id": span_id_hex(_dict(link.get("context")).get("span_id"), 8),
         "attrs": _dict(link.get("attributes"))}
        for link in span.get("links") or [] if isinstance(link, dict)
    ] or None
    emit_span(
        sink, position, resource_context(_dict(resource.get("attributes")), src.path.name), None,
        span_id_hex(context.get("trace_id"), 16), span_id_hex(context.get("span_id"), 8),
        span_id_hex(parent_id, 8),
        str(span.get("name") or ""),
        _code(span.get("kind"), SPAN_KIND_NAMES, _SPAN_KINDS),
        _time(span.get("start_time"), position, "start_time", sink),
        _time(span.get("end_time"), position, "end_time", sink),
        _code(status.get("status_code"), STATUS_CODE_NAMES, _STATUS_CODES),
        status.get("description"),
        _dict(span.get("attributes")), events, links,
    )


def _mlflow_value(value: Any) -> Any:
    """MLflow writes every attribute value as JSON text (`"\"LLM\""`): decoded once."""
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _mlflow_span(span: dict[str, Any], position: str, src: SourceFile, sink: RecordSink) -> None:
    status = _dict(span.get("status"))
    events = _events(span, "time_unix_nano", position, sink)
    attrs = {key: _mlflow_value(value) for key, value in _dict(span.get("attributes")).items()}
    emit_span(
        sink, position, resource_context({}, src.path.name), None,
        span.get("trace_id"), span.get("span_id"), span.get("parent_span_id"),
        str(span.get("name") or ""), 0,
        _time(span.get("start_time_unix_nano"), position, "start_time_unix_nano", sink),
        _time(span.get("end_time_unix_nano"), position, "end_time_unix_nano", sink),
        _code(status.get("code"), STATUS_CODE_NAMES, _STATUS_CODES),
        status.get("message") or None,
        attrs, events, None,
    )
