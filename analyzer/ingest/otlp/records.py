"""OTLP records → store rows: the part shared by the protobuf and JSON decoders.

Decoders turn their encoding into plain Python values (hex ids, int nanoseconds, attribute
dicts) and call `emit_span` / `emit_log`, so conventions are normalized in one place."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from analyzer.ingest.normalize.genai_events import call_fields, is_genai_event
from analyzer.ingest.normalize.semconv import json_text, normalize
from analyzer.ingest.sink import RecordSink
from analyzer.store.schema import COLUMN_INDEX as I

SPAN_KINDS = {0: None, 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
SPAN_KIND_NAMES = {
    "SPAN_KIND_UNSPECIFIED": 0, "SPAN_KIND_INTERNAL": 1, "SPAN_KIND_SERVER": 2,
    "SPAN_KIND_CLIENT": 3, "SPAN_KIND_PRODUCER": 4, "SPAN_KIND_CONSUMER": 5,
}
STATUS_CODES = {0: "unset", 1: "ok", 2: "error"}
STATUS_CODE_NAMES = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}
SEVERITY_ERROR = 17  # OTLP SeverityNumber ERROR and above



@dataclass(frozen=True)
class ResourceContext:
    """What every record of one OTLP resource shares."""

    clock_domain: str
    resource_json: str | None
    service: str | None


def resource_context(resource_attrs: dict[str, Any], fallback_domain: str) -> ResourceContext:
    """Clock domain of a resource: service plus host or instance (SPEC 4)."""
    service = resource_attrs.get("service.name")
    host = resource_attrs.get("host.name") or resource_attrs.get("service.instance.id") or resource_attrs.get("host.id")
    if service and host:
        domain = f"{service}@{host}"
    elif service:
        domain = str(service)
    else:
        domain = fallback_domain
    resource_json = orjson.dumps(resource_attrs, default=str).decode() if resource_attrs else None
    return ResourceContext(domain, resource_json, service)


def normalize_id(value: Any, nbytes: int) -> tuple[str | None, bool]:
    """(lowercase hex id or None, ok). Accepts bytes, hex in any case, or base64."""
    if value is None or value == "" or value == b"":
        return None, True
    if isinstance(value, (bytes, bytearray)):
        text = value.hex()
        return (None, True) if not any(value) else (text, len(value) == nbytes)
    text = str(value)
    if len(text) == nbytes * 2:
        try:
            raw = bytes.fromhex(text)
            return (None, True) if not any(raw) else (text.lower(), True)
        except ValueError:
            pass
    try:
        raw = base64.b64decode(text, validate=True)
        if len(raw) == nbytes:
            return (None, True) if not any(raw) else (raw.hex(), True)
    except ValueError:
        pass
    return text.lower(), False


_ID_BYTES = {"trace": 16, "span": 8, "parent_span": 8}


def checked_ids(flags: list[str], **ids: Any) -> tuple[str | None, ...]:
    """Normalized hex of each id (keyword: trace, span, parent_span), in order; a wrong
    length adds `bad_<name>_id_length` to `flags` (the id is kept as given)."""
    out = []
    for name, value in ids.items():
        hex_id, ok = normalize_id(value, _ID_BYTES[name])
        if not ok:
            flags.append(f"bad_{name}_id_length")
        out.append(hex_id)
    return tuple(out)


def bad_ids_reason(flags: list[str]) -> str:
    """The problem reported for `bad_<name>_id_length` flags."""
    names = ", ".join(f.removeprefix("bad_").removesuffix("_length") for f in flags)
    return f"ids of wrong length: {names}"


def report_bad_ids(sink: RecordSink, position: str, flags: list[str]) -> None:
    if flags:
        sink.problem(position, bad_ids_reason(flags))


def genai_event_fields(kind: str, events: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Columns a span's GenAI events give it (content written as span events: Strands, Semantic
    Kernel, OpenLIT); they fill only what its attributes left empty."""
    genai = [(e.get("name"), None, e.get("attrs") or {}) for e in events or () if is_genai_event(e.get("name"))]
    return call_fields(kind, genai) if genai else {}


def exception_fields(events: list[dict[str, Any]] | None) -> tuple[str | None, str | None]:
    """(type, message) from a span's exception events: the first given of each; they stand in
    for an error type and message the span does not state itself."""
    error_type = error_message = None
    for event in events or ():
        if event.get("name") == "exception":
            eattrs = event.get("attrs") or {}
            if error_type is None and eattrs.get("exception.type"):
                error_type = str(eattrs["exception.type"])
            if error_message is None and eattrs.get("exception.message"):
                error_message = str(eattrs["exception.message"])
    return error_type, error_message


def emit_span(
    sink: RecordSink,
    pos: str,
    res: ResourceContext,
    scope: str | None,
    trace_id: Any,
    span_id: Any,
    parent_span_id: Any,
    name: str,
    span_kind: int,
    start_ns: int | None,
    end_ns: int | None,
    status_code: int,
    status_message: str | None,
    attrs: dict[str, Any],
    events: list[dict[str, Any]] | None,
    links: list[dict[str, Any]] | None,
) -> None:
    """Append one span as a record: ids checked, conventions normalized, raw attributes kept."""
    flags: list[str] = []
    trace_hex, span_hex, parent_hex = checked_ids(flags, trace=trace_id, span=span_id, parent_span=parent_span_id)
    position = f"{pos}#span={span_hex}"
    report_bad_ids(sink, position, flags)
    if start_ns is not None and end_ns is not None and end_ns < start_ns:
        flags.append("end_before_start")

    row = sink.new_row(position)
    fields = normalize(attrs, name)
    for key, value in genai_event_fields(fields["kind"], events).items():
        if fields.get(key) is None:
            fields[key] = value
    for key, value in fields.items():
        if value is not None:
            row[I[key]] = value
    kind_name = SPAN_KINDS.get(span_kind)
    if fields["kind"] == "tool_call" and kind_name in ("server", "consumer"):
        row[I["kind"]] = "tool_server"
    status = STATUS_CODES.get(status_code, "unset")
    exception_type, exception_message = exception_fields(events)
    if row[I["error_type"]] is None:
        row[I["error_type"]] = exception_type
    error_message = status_message or exception_message
    row[I["name"]] = name
    row[I["trace_id"]] = trace_hex
    row[I["span_id"]] = span_hex
    row[I["parent_span_id"]] = parent_hex
    row[I["span_kind"]] = kind_name
    row[I["status"]] = status
    row[I["status_message"]] = status_message or None
    if status == "error" or row[I["error_type"]] is not None:
        row[I["error_message"]] = error_message
    _place(row, res, scope, start_ns, end_ns, attrs)
    row[I["events"]] = orjson.dumps(events, default=str).decode() if events else None
    row[I["links"]] = orjson.dumps(links, default=str).decode() if links else None
    row[I["flags"]] = flags or None
    sink.append(row)


def _place(row: list[Any], res: ResourceContext, scope: str | None, start_ns: int | None,
           end_ns: int | None, attrs: dict[str, Any]) -> None:
    """The columns a span and a log record fill alike: clock domain, raw times, raw attributes,
    resource and scope."""
    row[I["clock_domain"]] = res.clock_domain
    row[I["ts_raw_start"]] = start_ns
    row[I["ts_raw_end"]] = end_ns
    row[I["attrs"]] = orjson.dumps(attrs, default=str).decode() if attrs else None
    row[I["resource_attrs"]] = res.resource_json
    row[I["scope"]] = scope


_LOG_FIELDS = ("session_own", "session_rank", "agent", "tool_name", "tool_call_id")


def _log_fields(name: str, attrs: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The (column, value) pairs a log record takes from its attributes (`normalize`'s session,
    agent and tool fields). Log records of one instrumentation repeat a few attribute sets: a
    set of string values is normalized once (`_log_fields_of`; only strings, as a cache key
    would take 1, 1.0 and True for one value)."""
    if all(type(value) is str for value in attrs.values()):
        return _log_fields_of(name, tuple(attrs.items()))
    return _fields_of(name, attrs)


@lru_cache(maxsize=4096)
def _log_fields_of(name: str, items: tuple[tuple[str, Any], ...]) -> tuple[tuple[str, Any], ...]:
    return _fields_of(name, dict(items))


def _fields_of(name: str, attrs: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    fields = normalize(attrs, name)
    return tuple((key, fields[key]) for key in _LOG_FIELDS if fields.get(key) is not None)


# GenAI event log records repeat: an instrumentation sends a conversation's history again as
# events of every later call. Each distinct event (its repr: exact for the values a log record
# holds, unlike a JSON text, which writes NaN as null) is read once, up to this size.
_EVENT_MEMO_CHARS = 1 << 16
_EVENTS: dict[str, tuple[tuple[str, Any], ...]] = {}  # repr -> fields, of the events read lately


def _event_fields(name: str, body: Any, attrs: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The (column, value) pairs a GenAI event log record takes from its content
    (`call_fields` of a model call)."""
    key = repr((name, body, attrs))
    if len(key) > _EVENT_MEMO_CHARS:
        return _read_event(name, body, attrs)
    found = _EVENTS.get(key)
    if found is None:
        if len(_EVENTS) >= 4096:
            _EVENTS.clear()
        found = _EVENTS[key] = _read_event(name, body, attrs)
    return found


def _read_event(name: str, body: Any, attrs: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple((key, value) for key, value in call_fields("llm_call", [(name, body, attrs)]).items()
                 if value is not None)


def emit_log(
    sink: RecordSink,
    pos: str,
    res: ResourceContext,
    scope: str | None,
    time_ns: int | None,
    severity_number: int,
    severity_text: str | None,
    body: Any,
    attrs: dict[str, Any],
    trace_id: Any,
    span_id: Any,
    event_name: str | None,
    time_from_observed: bool = False,
) -> None:
    """Append one log record (kept on its span through trace and span ids). A GenAI event's
    content fills its message columns; the store lends them to its span (store/events.sql)."""
    flags: list[str] = []
    trace_hex, span_hex = checked_ids(flags, trace=trace_id, span=span_id)
    report_bad_ids(sink, pos, flags)
    if time_from_observed:  # no timeUnixNano: the collector's observed time stands in
        flags.append("time_from_observed")
    row = sink.new_row(pos)
    for key, value in _log_fields(event_name or "", attrs):
        row[I[key]] = value
    row[I["kind"]] = "log"
    row[I["layer"]] = "other"
    row[I["name"]] = event_name or severity_text or "log"
    row[I["operation"]] = event_name
    row[I["text"]] = json_text(body)
    if is_genai_event(event_name):
        for key, value in _event_fields(event_name, body, attrs):
            row[I[key]] = value
    if severity_number >= SEVERITY_ERROR:
        row[I["status"]] = "error"
        row[I["error_message"]] = json_text(body)
    row[I["status_message"]] = severity_text or None
    row[I["trace_id"]] = trace_hex
    row[I["span_id"]] = span_hex
    _place(row, res, scope, time_ns, time_ns, attrs)
    row[I["flags"]] = flags or None
    sink.append(row)
