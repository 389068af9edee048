"""The ingester interface and the JSON Lines reading that JSON-based ingesters share."""

from __future__ import annotations

import json
from typing import Any, Callable, Iterator, Protocol

import orjson

from analyzer.errors import InputError
from analyzer.ingest.sink import RecordSink
from analyzer.ingest.source import SourceFile, iter_lines


class JsonIngester(Protocol):
    """A reader for one JSON-based format. `sniff` sees the first parsed value: a line of a
    JSON Lines file (`as_line=True`) or the whole document. An ingester whose `read_lines`
    carries no state from one line to the next may set `independent_lines = True`: a large
    file is then split at line boundaries and its parts read by worker processes (each part
    a `SourceFile.part`, read with the same `read_lines`)."""

    source_kind: str
    source_format: str

    def sniff(self, sample: Any, as_line: bool) -> bool: ...

    def read_lines(self, src: SourceFile, sink: RecordSink) -> None: ...

    def read_document(self, doc: Any, src: SourceFile, sink: RecordSink) -> None: ...


def read_failure(exc: BaseException) -> tuple[str | None, str] | None:
    """(position, reason) of an exception that reading a file raised on bad input, or None
    for any other exception (a bug). The records read before it are kept either way."""
    if isinstance(exc, InputError):
        return exc.position, exc.message
    if isinstance(exc, OSError):
        return None, f"cannot read: {exc}"
    if isinstance(exc, (ValueError, TypeError, KeyError, AttributeError, IndexError)):
        # structure the ingester did not expect: name it, keep what was read, go on
        return None, f"unexpected structure: {type(exc).__name__}: {exc}"
    return None


def json_lines(
    src: SourceFile, sink: RecordSink, loads: Callable[[bytes], Any] = orjson.loads
) -> Iterator[tuple[int, Any]]:
    """(line number, value) of each non-blank line; a malformed line is reported and skipped.
    `loads` may be the stdlib's where integers wider than 64 bits must stay exact."""
    for number, line in iter_lines(src):
        try:
            yield number, loads(line)
        except (ValueError, RecursionError) as exc:  # orjson's and json's decode errors are ValueErrors
            sink.problem(f"line {number}", f"malformed JSON: {exc}")


_WHITESPACE = " \t\r\n"


def json_sequence(data: bytes) -> list[Any]:
    """Whitespace-separated JSON values, as an exporter that pretty-prints one value after another
    writes them (the OTel SDK's `ConsoleSpanExporter`); parsed by the stdlib, so integers stay
    exact. Raises ValueError (with the byte position in its message) if any value is malformed."""
    text = data.decode("utf-8-sig")
    decoder = json.JSONDecoder()
    values, index = [], 0
    while True:
        while index < len(text) and text[index] in _WHITESPACE:
            index += 1
        if index == len(text):
            return values
        value, index = decoder.raw_decode(text, index)
        values.append(value)
