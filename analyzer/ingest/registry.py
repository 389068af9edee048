"""Every ingester, and the content-based classification that picks one for a file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import orjson

from analyzer.errors import InputError
from analyzer.ingest.otlp import proto_reader as otlp_proto
from analyzer.ingest.base import JsonIngester, json_sequence
from analyzer.ingest.harness.anthropic_sessions import AnthropicSessionsIngester
from analyzer.ingest.harness.canonical import HarnessIngester
from analyzer.ingest.framework.span_dicts import AnyAgentIngester, MlflowTraceIngester, OtelSdkSpansIngester
from analyzer.ingest.framework.langfuse import LangfuseIngester
from analyzer.ingest.framework.langsmith import LangSmithIngester
from analyzer.ingest.harness.openhands import OpenHandsIngester
from analyzer.ingest.framework.openai_agents import OpenAIAgentsIngester
from analyzer.ingest.otlp.json_reader import OtelJsSpansIngester, OtlpJsonIngester
from analyzer.ingest.source import SourceFile, read_document

HEAD_BYTES = 1 << 20
SNIFF_LINES = 5
# A first line longer than the head is read whole for sniffing up to this length.
LONG_LINE_BYTES = 256 << 20


def json_ingesters() -> list[JsonIngester]:
    """JSON-based ingesters in the order they are asked; the first whose sniff accepts wins.
    (Add new ingesters here, one line each.)"""
    return [
        OtlpJsonIngester(),
        OtelJsSpansIngester(),
        OpenAIAgentsIngester(),
        LangSmithIngester(),
        LangfuseIngester(),
        AnyAgentIngester(),
        MlflowTraceIngester(),
        OtelSdkSpansIngester(),
        HarnessIngester(),
        OpenHandsIngester(),
        AnthropicSessionsIngester(),
    ]


@dataclass
class Plan:
    """How to read one file: an ingester and a mode, or a reason to skip it."""

    mode: str  # 'jsonl' | 'json' | 'proto-single' | 'proto-stream' | 'skip'
    source_kind: str = ""
    source_format: str = ""
    ingester: Any = None
    document: Any = None
    proto_kind: str = ""
    reason: str = ""


def _head(src: SourceFile) -> bytes:
    with src.open() as fh:
        return fh.read(HEAD_BYTES)


def plan(src: SourceFile, extra: Sequence[JsonIngester] = ()) -> Plan:
    """Classify by content (never by extension alone); `extra` ingesters (user harness
    mappings) are asked first. Raises InputError for a recognised file that cannot be read."""
    head = _head(src)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise InputError("empty file", position="byte 0", hint="the exporter wrote nothing")
    if stripped[:1] in (b"{", b"["):
        return _plan_json(src, head, [*extra, *json_ingesters()])
    size = src.size if src.compression is None else 1 << 62
    sniffed = otlp_proto.sniff(head, size)
    if sniffed:
        mode, kind = sniffed
        return Plan(f"proto-{mode}", "otlp", "otlp-proto", proto_kind=kind)
    if _looks_binary(head):
        return Plan("skip", reason="binary content that is not an OTLP protobuf export")
    return Plan("skip", reason="not a recognised trace or log format (neither JSON nor OTLP protobuf)")


def _looks_binary(head: bytes) -> bool:
    return b"\x00" in head[:4096]


def _long_first_line(src: SourceFile, head: bytes) -> tuple[bytes, bool] | None:
    """(first line, whether more lines follow) when the first line is longer than the head (a
    Collector writes a whole batch of spans on one JSON line) and ends within LONG_LINE_BYTES;
    else None."""
    if len(head) < HEAD_BYTES or b"\n" in head:
        return None
    with src.open() as fh:
        line = fh.readline(LONG_LINE_BYTES)
        more = bool(fh.read(4096).strip())
    return (line, more) if line.endswith(b"\n") else None


def _plan_json(src: SourceFile, head: bytes, ingesters: list[JsonIngester]) -> Plan:
    lines = [line for line in head.split(b"\n")[: SNIFF_LINES + 1] if line.strip()]
    single_line = len(lines) == 1 and (len(head) < HEAD_BYTES or head.rstrip().count(b"\n") == 0)
    long_line = _long_first_line(src, head)
    if long_line is not None:  # sniffed whole; alone in the file, it is the document
        lines, single_line = [long_line[0]], not long_line[1]
    for line in lines[:SNIFF_LINES] if len(lines) > 1 or single_line or long_line else []:
        try:
            sample = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        for ingester in ingesters:
            if ingester.sniff(sample, True):
                return Plan("jsonl", ingester.source_kind, ingester.source_format, ingester)
        if single_line:
            break  # the line is the whole document: ask the document readers below
        return Plan("skip", reason=f"JSON Lines, but not a known trace or log shape (first record: {_shape(sample)})")
    data = read_document(src)
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        document = _concatenated(data)  # pretty-printed values one after another, or truly invalid
        if document is None:
            raise InputError(f"invalid JSON: {exc}", position=_json_error_position(exc)) from exc
    for ingester in ingesters:
        if ingester.sniff(document, False):
            return Plan("json", ingester.source_kind, ingester.source_format, ingester, document=document)
    return Plan("skip", reason=f"JSON, but not a known trace or log shape ({_shape(document)})")


def _concatenated(data: bytes) -> list[Any] | None:
    """Several JSON values written one after another (read as a list of them), else None."""
    try:
        values = json_sequence(data)
    except (ValueError, RecursionError):
        return None
    return values if len(values) > 1 else None


def _json_error_position(exc: orjson.JSONDecodeError) -> str:
    return f"line {exc.lineno} column {exc.colno}"


def _shape(document: Any) -> str:
    if isinstance(document, dict):
        keys = ", ".join(list(document)[:6])
        return f"an object with keys {keys}" if keys else "an empty object"
    if isinstance(document, list):
        return f"an array of {len(document)} items"
    return type(document).__name__
