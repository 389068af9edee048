"""Columnar batches in the store's schema: ingesters append rows, the sink flushes Arrow tables."""

from __future__ import annotations

from typing import Any, Callable

import pyarrow as pa

from analyzer.ingest.source import SourceFile
from analyzer.store.schema import ARROW_SCHEMA, COLUMN_INDEX, COLUMN_NAMES

_WIDTH = len(COLUMN_NAMES)
_I = COLUMN_INDEX
BATCH_ROWS = 10_000


class RecordSink:
    """Collects one file's records as rows and hands them to `flush` in Arrow batches."""

    def __init__(
        self,
        src: SourceFile,
        source_kind: str,
        source_format: str,
        flush: Callable[[pa.Table], None],
        batch_rows: int = BATCH_ROWS,
    ) -> None:
        self.src = src
        self.source_kind = source_kind
        self.source_format = source_format
        self._flush = flush
        self._batch_rows = batch_rows
        self._rows: list[list[Any]] = []
        self.records = 0
        self._next_seq = 0
        self.problems: list[tuple[str, str]] = []  # (position, reason)

    def new_row(self, source_pos: str, **fields: Any) -> list[Any]:
        """A fresh row (next sequence number) with identity and provenance set; `fields` by name."""
        row: list[Any] = [None] * _WIDTH
        seq = self._next_seq
        self._next_seq += 1
        row[_I["record_id"]] = f"{self.src.file_id}:{seq}"
        row[_I["file_id"]] = self.src.file_id
        row[_I["seq"]] = seq
        row[_I["source_kind"]] = self.source_kind
        row[_I["source_format"]] = self.source_format
        row[_I["source_file"]] = self.src.display
        row[_I["source_pos"]] = source_pos
        for name, value in fields.items():
            row[_I[name]] = value
        return row

    def add(self, source_pos: str, **fields: Any) -> list[Any]:
        """Build and append a row in one call (for ingesters off the hot path)."""
        row = self.new_row(source_pos, **fields)
        self.append(row)
        return row

    def append(self, row: list[Any]) -> None:
        self._rows.append(row)
        if len(self._rows) >= self._batch_rows:
            self.flush()

    def problem(self, position: str, reason: str) -> None:
        """Record a bad-input problem at `position`; reading goes on."""
        self.problems.append((position, reason))

    def flush(self) -> None:
        if not self._rows:
            return
        count = len(self._rows)
        arrays = [
            pa.nulls(count, field.type) if column.count(None) == count else pa.array(column, type=field.type)
            for column, field in zip(zip(*self._rows), ARROW_SCHEMA)
        ]
        table = pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA)
        self.records += len(self._rows)
        self._rows = []
        self._flush(table)
