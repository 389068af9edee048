"""OTLP/JSON: one request per document or per line (the Collector file exporter's default).

Accepts lowerCamelCase and snake_case keys, hex ids in any case or base64, enums as numbers or
names, `intValue` as string or number, and every AnyValue type."""

from __future__ import annotations

import math
from typing import Any

from analyzer.ingest.otlp.records import (
    SPAN_KIND_NAMES,
    STATUS_CODE_NAMES,
    ResourceContext,
    emit_log,
    emit_span,
    normalize_id,
    resource_context,
)
from analyzer.ingest.base import json_lines
from analyzer.ingest.sink import RecordSink
from analyzer.ingest.source import SourceFile

TRACE_KEYS = ("resourceSpans", "resource_spans")
LOG_KEYS = ("resourceLogs", "resource_logs")


def any_value(value: Any) -> Any:
    """Python value of an OTLP/JSON AnyValue (bytes stay base64 text)."""
    if not isinstance(value, dict) or not value:
        return None
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        return int(value["intValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "doubleValue" in value:
        number = value["doubleValue"]
        return float(number) if not isinstance(number, str) else _special_float(number)
    if "arrayValue" in value:
        return [any_value(v) for v in (value["arrayValue"] or {}).get("values", [])]
    if "kvlistValue" in value:
        return key_values((value["kvlistValue"] or {}).get("values", []))
    if "bytesValue" in value:
        return value["bytesValue"]
    # snake_case form from protobuf's preserving_proto_field_name
    for key, cast in (("string_value", str), ("int_value", int), ("bool_value", bool), ("double_value", float)):
        if key in value:
            return cast(value[key])
    if "array_value" in value:
        return [any_value(v) for v in (value["array_value"] or {}).get("values", [])]
    if "kvlist_value" in value:
        return key_values((value["kvlist_value"] or {}).get("values", []))
    if "bytes_value" in value:
        return value["bytes_value"]
    return None


def _special_float(text: str) -> float:
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(text) or float(text)


def key_values(items: list[dict[str, Any]] | None) -> dict[str, Any]:
    if not items:
        return {}
    return {kv.get("key", ""): any_value(kv.get("value")) for kv in items}


def _enum(value: Any, names: dict[str, int]) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if value.isdigit():
            return int(value)
        return names.get(value, 0)
    return 0


def _ns(value: Any) -> int | None:
    if value in (None, "", 0, "0"):
        return None
    return int(value)


def _snake_to_camel(obj: Any) -> Any:
    """Rewrite protobuf field-name JSON (`resource_spans`) to OTLP/JSON's lowerCamelCase."""
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            head, *rest = key.split("_")
            camel = head + "".join(part[:1].upper() + part[1:] for part in rest)
            out[camel if key not in ("key", "value") else key] = _snake_to_camel(value)
        return out
    if isinstance(obj, list):
        return [_snake_to_camel(v) for v in obj]
    return obj


def is_otlp_request(obj: Any) -> bool:
    return isinstance(obj, dict) and any(k in obj for k in TRACE_KEYS + LOG_KEYS)


def read_request(obj: dict[str, Any], sink: RecordSink, pos: str, src: SourceFile) -> None:
    """Emit every span and log record of one ExportTrace/LogsServiceRequest."""
    if "resource_spans" in obj or "resource_logs" in obj:
        obj = _snake_to_camel(obj)
    fallback_domain = src.path.name
    for resource_spans in obj.get("resourceSpans") or []:
        res = resource_context(key_values((resource_spans.get("resource") or {}).get("attributes")), fallback_domain)
        for scope_spans in resource_spans.get("scopeSpans") or resource_spans.get("instrumentationLibrarySpans") or []:
            scope = (scope_spans.get("scope") or scope_spans.get("instrumentationLibrary") or {}).get("name")
            for span in scope_spans.get("spans") or []:
                _span(sink, pos, res, scope, span)
    for resource_logs in obj.get("resourceLogs") or []:
        res = resource_context(key_values((resource_logs.get("resource") or {}).get("attributes")), fallback_domain)
        for scope_logs in resource_logs.get("scopeLogs") or []:
            scope = (scope_logs.get("scope") or {}).get("name")
            for index, record in enumerate(scope_logs.get("logRecords") or []):
                time_ns = _ns(record.get("timeUnixNano"))
                emit_log(
                    sink, f"{pos}#log={index}", res, scope,
                    time_ns or _ns(record.get("observedTimeUnixNano")),
                    _severity(record.get("severityNumber")),
                    record.get("severityText"),
                    any_value(record.get("body")),
                    key_values(record.get("attributes")),
                    record.get("traceId"),
                    record.get("spanId"),
                    record.get("eventName"),
                    time_ns is None and _ns(record.get("observedTimeUnixNano")) is not None,
                )


def _severity(value: Any) -> int:
    if isinstance(value, str):
        return int(value) if value.isdigit() else _severity_name(value)
    return value if isinstance(value, int) else 0


def _severity_name(name: str) -> int:
    """`SEVERITY_NUMBER_ERROR2` → 18 (protobuf canonical JSON writes enum names)."""
    base = {"TRACE": 1, "DEBUG": 5, "INFO": 9, "WARN": 13, "ERROR": 17, "FATAL": 21}
    word = name.removeprefix("SEVERITY_NUMBER_")
    level = word.rstrip("0123456789")
    extra = int(word[len(level):] or 1) - 1
    return base.get(level, 0) + extra if level in base else 0


def _span(sink: RecordSink, pos: str, res: ResourceContext, scope: str | None, span: dict[str, Any]) -> None:
    status = span.get("status") or {}
    events = None
    if span.get("events"):
        events = [
            {"name": e.get("name"), "ts": _ns(e.get("timeUnixNano")), "attrs": key_values(e.get("attributes"))}
            for e in span["events"]
        ]
    links = None
    if span.get("links"):
        links = [
            {"trace_id": _hex(link.get("traceId"), 16), "span_id": _hex(link.get("spanId"), 8),
             "attrs": key_values(link.get("attributes"))}
            for link in span["links"]
        ]
    emit_span(
        sink, pos, res, scope,
        span.get("traceId"), span.get("spanId"), span.get("parentSpanId"),
        span.get("name") or "",
        _enum(span.get("kind"), SPAN_KIND_NAMES),
        _ns(span.get("startTimeUnixNano")),
        _ns(span.get("endTimeUnixNano")),
        _enum(status.get("code"), STATUS_CODE_NAMES),
        status.get("message"),
        key_values(span.get("attributes")),
        events,
        links,
    )


def _hex(value: Any, nbytes: int) -> str | None:
    return normalize_id(value, nbytes)[0]


# Uncompressed JSON Lines inputs (a file, or the part of one a worker reads) of this many bytes
# are read by DuckDB into a columnar batch (`json_columnar`) and normalized at once
# (`normalize.columnar`); smaller ones, and any the columnar reader declines (a malformed
# line, log records, ...), are read line by line here, which reports each problem with its
# line number. At most COLUMNAR_MAX_BYTES at once: DuckDB's peak is ~8x the bytes it reads.
COLUMNAR_MIN_BYTES: int | None = 1 << 20
COLUMNAR_MAX_BYTES = 64 << 20


def _columnar_parts(src: SourceFile) -> list[SourceFile]:
    """The parts of `src` to read through the columnar path (each declined one is read line by
    line): `src` itself, or a whole file larger than COLUMNAR_MAX_BYTES cut at line boundaries;
    none for a small or compressed input."""
    if COLUMNAR_MIN_BYTES is None or src.compression is not None:
        return []
    size = (src.end if src.end is not None else src.size) - src.start
    if size < COLUMNAR_MIN_BYTES:
        return []
    if size <= COLUMNAR_MAX_BYTES:
        return [src]
    if src.start or src.end is not None:  # a worker's part is never this large (parallel.PART_BYTES)
        return []
    from analyzer.ingest.parallel import split

    return list(split(src, "jsonl", COLUMNAR_MAX_BYTES))


def _read_columnar(src: SourceFile, sink: RecordSink) -> bool:
    """Read `src` through the columnar path; False (nothing read) when it declines the file."""
    from analyzer.ingest.otlp.json_columnar import span_batch_jsonl
    from analyzer.ingest.otlp.span_batch import emit

    batch = span_batch_jsonl(src.path, src.path.name, src.start, src.end, src.first_line)
    if batch is None:
        return False
    emit([(batch, sink)])
    return True


class OtlpJsonIngester:
    """OTLP/JSON requests: one per document, one per line, or a JSON array of requests."""

    source_kind = "otlp"
    source_format = "otlp-json"
    independent_lines = True  # one request per line: large files are read in parallel parts

    def sniff(self, sample: Any, as_line: bool) -> bool:
        if isinstance(sample, list) and not as_line:
            return bool(sample) and is_otlp_request(sample[0])
        return is_otlp_request(sample)

    def read_lines(self, src: SourceFile, sink: RecordSink) -> None:
        parts = _columnar_parts(src)
        if not parts:
            self._read_each_line(src, sink)
        for part in parts:
            if not _read_columnar(part, sink):
                self._read_each_line(part, sink)

    def _read_each_line(self, src: SourceFile, sink: RecordSink) -> None:
        for number, obj in json_lines(src, sink):
            if is_otlp_request(obj):
                read_request(obj, sink, str(number), src)
            else:
                sink.problem(f"line {number}", "not an OTLP request (no resourceSpans/resourceLogs)")

    def read_document(self, doc: Any, src: SourceFile, sink: RecordSink) -> None:
        if not isinstance(doc, list):
            read_request(doc, sink, "", src)
            return
        for index, obj in enumerate(doc):
            if is_otlp_request(obj):
                read_request(obj, sink, f"[{index}]", src)
            else:
                sink.problem(f"[{index}]", "not an OTLP request (no resourceSpans/resourceLogs)")


class OtelJsSpansIngester:
    """OTel-JS `ReadableSpan` JSON arrays as test captures write them (HrTime `[s, ns]` times,
    `spanContext` ids, flat attributes); not OTLP, but the same spans."""

    source_kind = "otlp"
    source_format = "otel-js-spans"

    def sniff(self, sample: Any, as_line: bool) -> bool:
        return (
            not as_line and isinstance(sample, list) and bool(sample)
            and isinstance(sample[0], dict) and "spanContext" in sample[0] and "name" in sample[0]
        )

    def read_lines(self, src: SourceFile, sink: RecordSink) -> None:  # pragma: no cover - documents only
        raise NotImplementedError

    def read_document(self, doc: Any, src: SourceFile, sink: RecordSink) -> None:
        res = resource_context(doc[0].get("resource", {}).get("attributes") or {}, src.path.name)
        for index, span in enumerate(doc):
            context = span.get("spanContext") or {}
            parent = span.get("parentSpanId") or (span.get("parentSpanContext") or {}).get("spanId")
            status = span.get("status") or {}
            events = [
                {"name": e.get("name"), "ts": _hrtime(e.get("time")), "attrs": e.get("attributes") or {}}
                for e in span.get("events") or []
            ] or None
            links = [
                {"trace_id": (link.get("context") or {}).get("traceId"),
                 "span_id": (link.get("context") or {}).get("spanId"), "attrs": link.get("attributes") or {}}
                for link in span.get("links") or []
            ] or None
            emit_span(
                sink, f"[{index}]", res, (span.get("instrumentationScope") or {}).get("name"),
                context.get("traceId"), context.get("spanId"), parent,
                span.get("name") or "", _enum(span.get("kind"), SPAN_KIND_NAMES) + 1 if isinstance(span.get("kind"), int) else 0,
                _hrtime(span.get("startTime")), _hrtime(span.get("endTime")),
                _enum(status.get("code"), STATUS_CODE_NAMES), status.get("message"),
                span.get("attributes") or {}, events, links,
            )


def _hrtime(value: Any) -> int | None:
    """OTel-JS HrTime `[seconds, nanoseconds]` → ns."""
    if isinstance(value, list) and len(value) == 2:
        return int(value[0]) * 1_000_000_000 + int(value[1])
    if isinstance(value, (int, float)):
        return int(value * 1_000_000)  # milliseconds
    return None
