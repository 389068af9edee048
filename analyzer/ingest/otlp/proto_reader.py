"""OTLP protobuf: one message per file, or the Collector's stream of messages each prefixed
with a 4-byte big-endian length. Traces and logs are told apart on the wire."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, Iterator

from google.protobuf.message import DecodeError

from analyzer.errors import InputError
from analyzer.ingest.otlp.records import emit_log, emit_span, resource_context
from analyzer.ingest.sink import RecordSink
from analyzer.ingest.source import MAX_DOCUMENT_BYTES, SourceFile

MAX_MESSAGE_BYTES = 512 << 20
# Trace inputs (a file, or the part of one a worker reads) at least this large are read with
# the compiled scanner into columnar batches (`scanned`, `span_batch`, `normalize.columnar`);
# smaller ones take the protobuf library and `emit_span`, and never import numba (its import
# and cached-JIT load cost ~0.4 s, what the library path spends on ~20k spans). None: never.
SCAN_MIN_BYTES: int | None = 4 << 20
# Once a run has read SCAN_MIN_BYTES of input, trace files from this size up are scanned too: a
# scanned file costs ~7 ms more than its spans (a batch of its own), a span ~12 us against ~45
# on the library path (a directory of 200 requests of 1.2 MB: 3.9 s against 8.9 s; of 500 of
# 120 kB: 4.2 s against 2.5 s).
SCAN_FILE_MIN_BYTES = 512 << 10
# Trace files up to this size, one request each, are read and scanned ahead of their turn while
# the file before them is normalized (`prefetch`).
PREFETCH_MAX_BYTES = 32 << 20
SNIFF_BYTES = 64 << 10  # the head of a file that tells an OTLP request or stream, and its kind
SINGLE_PREFIX = "@0"  # the position prefix of a file's one request


# The scanner runs a request ahead on a thread of its own (off: the bench's per-stage CPU split).
SCAN_AHEAD = True
# Consecutive requests of a stream up to this many bytes are scanned as one (their concatenation
# is one request): the Python steps of a scan and of its batch are paid once a group.
SCAN_GROUP_BYTES = 4 << 20


def _scanner():
    """The scanner module (imports numba: large inputs only), or None without numba."""
    try:
        from analyzer.ingest.otlp import scanned
    except ImportError:
        return None
    return scanned


def _scans(src: SourceFile, kind: str) -> bool:
    """Whether `src` is read with the compiled scanner: traces, and large, or of some size in a
    run that has read much already."""
    if SCAN_MIN_BYTES is None or kind != "traces":
        return False
    return _scans_size((src.end if src.end is not None else src.size) - src.start, src.run_bytes)


def _scans_size(size: int, run_bytes: int) -> bool:
    return size >= SCAN_MIN_BYTES or (size >= SCAN_FILE_MIN_BYTES and run_bytes >= SCAN_MIN_BYTES)


def scans_request_file(size: int, run_bytes: int) -> bool:
    """Whether a traces file of `size` bytes, one request, is scanned in a run that has read
    `run_bytes` before it, and is small enough to be read ahead whole (`prefetch`): a larger
    one is a stream of its own with its own scanning thread."""
    return (SCAN_MIN_BYTES is not None and size < PREFETCH_MAX_BYTES and _scans_size(size, run_bytes)
            and _scanner() is not None)


def scanned_ahead(src: SourceFile, kind: str):
    """The batch `src` was scanned into ahead of its turn, when `read_single` would take it (the
    file is one traces request the scanner reads); else None."""
    if src.scanned is None or src.scanned[0] is None or not _scans(src, kind):
        return None
    return src.scanned[0]


def scan_request_file(path: Path, size: int) -> tuple[bytes, tuple[Any]] | None:
    """(its bytes, (what `read_single`'s scanner makes of them,)) for a file of one OTLP traces
    request, read ahead of its turn (`prefetch`); None for any other file."""
    with open(path, "rb") as fh:
        data = fh.read(size + 1)
    if len(data) != size or sniff(data[:SNIFF_BYTES], size) != ("single", "traces"):
        return None  # (a compressed file sniffs as neither)
    return data, (_scanned_batch(data, SINGLE_PREFIX, path.name),)


def _varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise ValueError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def wire_fields(buf: bytes, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """(field number, wire type, value start, value end) of each field; ValueError if malformed."""
    pos = start
    while pos < end:
        field_start = pos
        tag, pos = _varint(buf, pos, end)
        field, wire_type = tag >> 3, tag & 7
        if field == 0:
            raise ValueError(f"field number 0 at byte {field_start}")
        if wire_type == 0:
            _, next_pos = _varint(buf, pos, end)
        elif wire_type == 1:
            next_pos = pos + 8
        elif wire_type == 2:
            length, pos = _varint(buf, pos, end)
            next_pos = pos + length
        elif wire_type == 5:
            next_pos = pos + 4
        else:
            raise ValueError(f"unsupported wire type {wire_type} at byte {field_start}")
        if next_pos > end:
            raise ValueError(f"field {field} at byte {field_start} runs past the end of the data")
        yield field, wire_type, pos, next_pos
        pos = next_pos


def _descend(buf: bytes, pos: int, want: int, allowed: set[int]) -> tuple[int, int] | None:
    """Value span of the first length-delimited field `want`; only `allowed` fields may precede."""
    end = len(buf)
    while pos < end:
        tag, pos = _varint(buf, pos, end)
        field, wire_type = tag >> 3, tag & 7
        if wire_type != 2 or field not in allowed:
            raise ValueError("not an OTLP export message")
        length, pos = _varint(buf, pos, end)
        if field == want:
            return pos, pos + length
        pos += length
    return None


def first_record_kind(buf: bytes, start: int = 0) -> str | None:
    """'traces' or 'logs' from the first span / log record of a request starting at `start`
    (resource → scope → record); None when the bytes are not an OTLP export."""
    try:
        resource = _descend(buf, start, 1, {1})
        scope = resource and _descend(buf, resource[0], 2, {1, 2, 3})
        record = scope and _descend(buf, scope[0], 2, {1, 2, 3})
        if not record or record[1] > len(buf):
            return None
        tags = {(f, w) for f, w, _, _ in wire_fields(buf, record[0], record[1])}
    except ValueError:
        return None
    if tags & {(1, 1), (11, 1), (2, 0)}:
        return "logs"
    if tags & {(1, 2), (2, 2), (5, 2), (7, 1)}:
        return "traces"
    return None


def sniff(head: bytes, size: int) -> tuple[str, str] | None:
    """(mode, kind): mode 'single' or 'stream', kind 'traces' or 'logs'; None if not OTLP protobuf."""
    if len(head) >= 5 and head[0] == 0 and head[4] == 0x0A and 0 < int.from_bytes(head[:4], "big") <= size - 4:
        kind = first_record_kind(head, 4)
        if kind:
            return "stream", kind
    if head[:1] == b"\x0a":
        kind = first_record_kind(head, 0)
        if kind:
            return "single", kind
    return None


def _request_class(kind: str):
    if kind == "traces":
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        return ExportTraceServiceRequest
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    return ExportLogsServiceRequest


def read_single(src: SourceFile, kind: str, sink: RecordSink) -> None:
    """One message per file; a truncated message still yields its complete resources."""
    with src.open() as fh:
        data = fh.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InputError(f"protobuf message larger than {MAX_DOCUMENT_BYTES} bytes", position="byte 0",
                         hint="write it as a length-prefixed stream of smaller messages")
    pending = _pending(src, kind, sink)
    batch = src.scanned[0] if src.scanned is not None and pending is not None else _UNSCANNED
    _parse_message(data, kind, sink, base_offset=0, pos_prefix=SINGLE_PREFIX, pending=pending, batch=batch)
    if pending is not None:
        pending.flush()


def read_stream(src: SourceFile, kind: str, sink: RecordSink) -> None:
    """The Collector's `format: proto`: [4-byte big-endian length][message] repeated (from
    byte `src.start` when `src` is a part of the file)."""
    pending = _pending(src, kind, sink)
    try:
        _read_stream(src, kind, sink, pending)
    finally:
        if pending is not None:
            pending.flush()


def _read_stream(src: SourceFile, kind: str, sink: RecordSink, pending) -> None:
    with src.open() as fh:
        frames = _frames(fh, src.start)
        if pending is None or not SCAN_AHEAD:
            scanned = ((frame, _UNSCANNED) for frame in frames)
        else:  # the scanner runs a request ahead on another thread (its kernels let go of the GIL)
            fallback_domain = sink.src.path.name

            scanned = _ungrouped(_ahead(_groups(frames), lambda group: _scanned_group(group, fallback_domain)))
        try:
            for (offset, length, data), batch in scanned:
                if len(data) < length:
                    # keep the complete resources of the cut message, report the cut once
                    _parse_message(data, kind, sink, base_offset=offset + 4, pos_prefix=f"@{offset}", report=False,
                                   pending=pending)
                    raise InputError(
                        f"truncated message: length prefix says {length} bytes, {len(data)} present",
                        position=f"byte {offset}",
                    )
                _parse_message(data, kind, sink, base_offset=offset + 4, pos_prefix=f"@{offset}", pending=pending,
                               batch=batch)
        finally:
            scanned.close()  # (stops the scanning thread before the file closes)


def _frames(fh, offset: int) -> Iterator[tuple[int, int, bytes]]:
    """(offset, stated length, data) of each length-prefixed message; the last one's data may
    be cut short. A bad length prefix raises InputError."""
    while True:
        prefix = fh.read(4)
        if not prefix:
            return
        if len(prefix) < 4:
            raise InputError("truncated length prefix", position=f"byte {offset}")
        length = int.from_bytes(prefix, "big")
        if length > MAX_MESSAGE_BYTES:
            raise InputError(f"message length {length} exceeds {MAX_MESSAGE_BYTES} bytes", position=f"byte {offset}")
        data = fh.read(length)
        yield offset, length, data
        offset += 4 + length


_DONE = object()
_UNSCANNED = object()  # a message not given to the scanner yet (None: the scanner left it to the library)
_IN_GROUP = object()  # a message whose spans came in the batch of the group's first message


def _groups(frames: Iterator[tuple[int, int, bytes]]) -> Iterator[list[tuple[int, int, bytes]]]:
    """Consecutive complete frames of up to SCAN_GROUP_BYTES together (a cut one alone)."""
    group: list[tuple[int, int, bytes]] = []
    size = 0
    for frame in frames:
        whole = len(frame[2]) == frame[1]
        if group and (not whole or size + frame[1] > SCAN_GROUP_BYTES):
            yield group
            group, size = [], 0
        group.append(frame)
        size += frame[1]
        if not whole:
            yield group
            group, size = [], 0
    if group:
        yield group


def _scanned_group(group: list[tuple[int, int, bytes]], fallback_domain: str) -> list:
    """The batch (or _UNSCANNED / None) of each frame of a group: one scan of them all when it
    reads (the first frame gets the batch, the others _IN_GROUP), else one scan each."""
    if len(group) > 1:
        try:
            requests = [(f"@{offset}", sum(1 for _ in wire_fields(data, 0, len(data)))) for offset, _, data in group]
        except ValueError:  # a malformed request: each is read (and reported) on its own
            requests = None
        if requests is not None:
            batch = _scanned_batch(b"".join(data for _, _, data in group), requests, fallback_domain)
            if batch is not None:
                return [batch] + [_IN_GROUP] * (len(group) - 1)
    return [_scanned_batch(data, f"@{offset}", fallback_domain) if len(data) == length else _UNSCANNED
            for offset, length, data in group]


def _ungrouped(groups: Iterator) -> Iterator:
    """(frame, its batch) of each frame of (group, batches) pairs; closing it closes `groups`."""
    try:
        for group, batches in groups:
            yield from zip(group, batches)
    finally:
        groups.close()


def _ahead(items: Iterator, work, depth: int = 4) -> Iterator:
    """(item, work(item)) for each item, in order, with the items taken and worked on by a
    thread up to `depth` ahead. What the items' iterator raises is raised here, in its turn."""
    import queue
    import threading

    results: queue.Queue = queue.Queue(depth)
    stop = threading.Event()

    def run() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                results.put((item, work(item), None))
        except BaseException as exc:  # handed over in order
            results.put((None, None, exc))
            return
        results.put(_DONE)

    thread = threading.Thread(target=run, name="seamscan-scan", daemon=True)
    thread.start()
    try:
        while (got := results.get()) is not _DONE:
            item, result, exc = got
            if exc is not None:
                raise exc
            yield item, result
    finally:
        stop.set()
        while thread.is_alive():  # unblock a put, let the thread see `stop`
            try:
                results.get(timeout=0.01)
            except queue.Empty:
                pass
        thread.join()


def _pending(src: SourceFile, kind: str, sink: RecordSink):
    """Where scanned requests gather before the columnar normalization, for a file read with
    the compiled scanner (see `_scans`); None for the others."""
    if not _scans(src, kind) or _scanner() is None:
        return None
    from analyzer.ingest.otlp.span_batch import Pending

    return Pending(sink)


def _scanned_batch(data: bytes, pos_prefix: str | list[tuple[str, int]], fallback_domain: str):
    """The SpanBatch of one request read by the compiled scanner, or None when the scanner
    leaves it to the protobuf library (corrupt or unusual encoding, a nested value it rejects)."""
    scanned = _scanner()
    ws = scanned.ws
    tables = ws.scan(data)
    if tables is None or (tables.spans[:, [ws.SP_START, ws.SP_END]] >= 1 << 63).any():
        return None  # (a time past 2262 does not fit the int64 column: the library path flags it)
    try:
        return scanned.span_batch(data, tables, pos_prefix, fallback_domain)
    except (UnicodeDecodeError, DecodeError):
        return None


def _parse_message(
    data: bytes, kind: str, sink: RecordSink, base_offset: int, pos_prefix: str, report: bool = True,
    pending=None, batch=_UNSCANNED,
) -> None:
    """Parse one request; a corrupt one yields its complete top-level resources. With
    `pending`, a traces request is read by the compiled scanner into a columnar batch (or comes
    as `batch`, scanned already), unless the scanner leaves the message to the protobuf library."""
    if pending is not None:
        if batch is _IN_GROUP:
            return
        if batch is _UNSCANNED:
            batch = _scanned_batch(data, pos_prefix, sink.src.path.name)
        if batch is not None:
            pending.add(batch)
            return
        pending.flush()  # the library's records and problems come after the batches before them
    request = _request_class(kind)()
    try:
        request.ParseFromString(data)
    except DecodeError as exc:
        good_end, bad_at, reason = _valid_prefix(data)
        if report:
            sink.problem(f"byte {base_offset + bad_at}", f"corrupt or truncated protobuf: {reason or exc}")
        request = _complete_resources(data, good_end, kind)
    if kind == "traces":
        _walk_traces(request, sink, pos_prefix)
    else:
        _walk_logs(request, sink, pos_prefix)


def _complete_resources(data: bytes, good_end: int, kind: str):
    """The request made of the top-level fields of data[:good_end] that parse: a field can be
    complete on the wire yet hold bad content (e.g. a string that is not UTF-8)."""
    request = _request_class(kind)()
    try:
        request.ParseFromString(data[:good_end])
        return request
    except DecodeError:
        request = _request_class(kind)()
    field_start = 0
    for _field, _wt, _start, end in wire_fields(data, 0, good_end):
        resource = _request_class(kind)()
        try:
            resource.ParseFromString(data[field_start:end])
            request.MergeFrom(resource)
        except DecodeError:
            pass  # this resource is the corrupt one, already reported
        field_start = end
    return request


def _valid_prefix(data: bytes) -> tuple[int, int, str]:
    """(end of the last complete top-level field, offset of the failure, reason)."""
    good_end = 0
    try:
        for _field, _wt, _start, end in wire_fields(data, 0, len(data)):
            good_end = end
    except ValueError as exc:
        return good_end, good_end, str(exc)
    return good_end, good_end, ""


def any_value(value: Any) -> Any:
    """Python value of a protobuf AnyValue (bytes as base64 text, as OTLP/JSON writes them)."""
    which = value.WhichOneof("value")
    if which == "string_value":
        return value.string_value
    if which == "int_value":
        return value.int_value
    if which == "bool_value":
        return value.bool_value
    if which == "double_value":
        return value.double_value
    if which == "array_value":
        return [any_value(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    if which == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return None


def _attrs(items) -> dict[str, Any]:
    out = {}
    for kv in items:
        value = kv.value
        which = value.WhichOneof("value")
        if which == "string_value":
            out[kv.key] = value.string_value
        elif which == "int_value":
            out[kv.key] = value.int_value
        else:
            out[kv.key] = any_value(value)
    return out


def _walk_traces(request, sink: RecordSink, pos_prefix: str) -> None:
    fallback = sink.src.path.name
    for resource_spans in request.resource_spans:
        res = resource_context(_attrs(resource_spans.resource.attributes), fallback)
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope.name or None
            for span in scope_spans.spans:
                events = None
                if span.events:
                    events = [{"name": e.name, "ts": e.time_unix_nano or None, "attrs": _attrs(e.attributes)}
                              for e in span.events]
                links = None
                if span.links:
                    links = [{"trace_id": link.trace_id.hex() or None, "span_id": link.span_id.hex() or None,
                              "attrs": _attrs(link.attributes)} for link in span.links]
                status = span.status
                emit_span(
                    sink, pos_prefix, res, scope,
                    span.trace_id, span.span_id, span.parent_span_id,
                    span.name, span.kind,
                    span.start_time_unix_nano or None, span.end_time_unix_nano or None,
                    status.code, status.message,
                    _attrs(span.attributes), events, links,
                )


def _walk_logs(request, sink: RecordSink, pos_prefix: str) -> None:
    fallback = sink.src.path.name
    for resource_logs in request.resource_logs:
        res = resource_context(_attrs(resource_logs.resource.attributes), fallback)
        for scope_logs in resource_logs.scope_logs:
            scope = scope_logs.scope.name or None
            for index, record in enumerate(scope_logs.log_records):
                emit_log(
                    sink, f"{pos_prefix}#log={index}", res, scope,
                    record.time_unix_nano or record.observed_time_unix_nano or None,
                    record.severity_number, record.severity_text,
                    any_value(record.body) if record.HasField("body") else None,
                    _attrs(record.attributes),
                    record.trace_id, record.span_id, record.event_name or None,
                    not record.time_unix_nano and bool(record.observed_time_unix_nano),
                )
