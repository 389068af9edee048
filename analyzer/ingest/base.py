"""The ingester interface and the JSON Lines reading that JSON-based ingesters share."""

from __future__ import annotations

from typing import Any, Iterator, Protocol

import orjson

from analyzer.ingest.sink import RecordSink
from analyzer.ingest.source import SourceFile, iter_lines


class JsonIngester(Protocol):
    """A reader for one JSON-based format. `sniff` sees the first parsed value: a line of a
    JSON Lines file (`as_line=True`) or the whole document."""

    source_kind: str
    source_format: str

    def sniff(self, sample: Any, as_line: bool) -> bool: ...

    def read_lines(self, src: SourceFile, sink: RecordSink) -> None: ...

    def read_document(self, doc: Any, src: SourceFile, sink: RecordSink) -> None: ...


def json_lines(src: SourceFile, sink: RecordSink) -> Iterator[tuple[int, Any]]:
    """(line number, value) of each non-blank line; a malformed line is reported and skipped."""
    for number, line in iter_lines(src):
        try:
            yield number, orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            sink.problem(f"line {number}", f"malformed JSON: {exc}")
