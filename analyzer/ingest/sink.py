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
        rows_to: Callable[[list[list[Any]]], None] | None = None,
        identify: Callable[[], None] | None = None,
    ) -> None:
        """`flush` takes each Arrow batch; with `rows_to`, rows are handed over as they are
        instead (a caller that gathers many small files' rows into one batch). `identify` is
        called before the first record is numbered (the file's id may still be computed):
        what it raises is raised again by every later record."""
        self.src = src
        self.source_kind = source_kind
        self.source_format = source_format
        self._flush = flush
        self._rows_to = rows_to
        self._batch_rows = batch_rows
        self._rows: list[list[Any]] = []
        self.records = 0
        self._next_seq = 0
        self.problems: list[tuple[str, str]] = []  # (position, reason)
        self._identify = identify
        self._refused: BaseException | None = None

    def new_row(self, source_pos: str, **fields: Any) -> list[Any]:
        """A fresh row (next sequence number) with identity and provenance set; `fields` by name."""
        if self._identify is not None or self._refused is not None:
            self._identified()
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

    @property
    def rows_numbered(self) -> int:
        """How many rows were given a sequence number (`new_row` calls)."""
        return self._next_seq

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

    def add_part(self, tables: list[pa.Table], rows_numbered: int) -> None:
        """Append the batches a worker read from one part of this file, in file order. The
        worker numbered its rows from 0; they move up by the rows numbered before the part, so
        `seq` (and `record_id`) is the record's ordinal in the file on every path."""
        self._identified()
        self.flush()
        seq_base = self._next_seq
        self._next_seq += rows_numbered
        for table in tables:
            if seq_base:
                table = self._renumbered(table, seq_base)
            self.records += table.num_rows
            self._flush(table)

    def add_columns(self, columns: dict[str, pa.Array], count: int) -> None:
        """Append `count` records given column by column (a columnar reader's normalized batch):
        numbered and given their provenance here, as `new_row` does for a row; a column left
        out is null."""
        if not count:
            return
        self._identified()
        self.flush()
        seq = pa.array(range(self._next_seq, self._next_seq + count), pa.int64())
        self._next_seq += count
        given = {
            "record_id": self._record_ids(seq),
            "file_id": pa.repeat(pa.scalar(self.src.file_id, pa.string()), count),
            "seq": seq,
            "source_kind": pa.repeat(pa.scalar(self.source_kind, pa.string()), count),
            "source_format": pa.repeat(pa.scalar(self.source_format, pa.string()), count),
            "source_file": pa.repeat(pa.scalar(self.src.display, pa.string()), count),
            **columns,
        }
        arrays = [given[f.name].cast(f.type) if f.name in given else pa.nulls(count, f.type) for f in ARROW_SCHEMA]
        self.records += count
        self._flush(pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA))

    def _identified(self) -> None:
        if self._refused is not None:
            raise self._refused
        identify, self._identify = self._identify, None
        if identify is not None:
            try:
                identify()
            except BaseException as exc:
                self._refused = exc
                raise

    def _renumbered(self, table: pa.Table, seq_base: int) -> pa.Table:
        import pyarrow.compute as pc  # only the parent of parallel reads needs it

        seq = pc.add(table.column("seq"), seq_base)
        table = table.set_column(_I["seq"], ARROW_SCHEMA.field("seq"), seq)
        return table.set_column(_I["record_id"], ARROW_SCHEMA.field("record_id"), self._record_ids(seq))

    def _record_ids(self, seq):
        """`file_id:seq` of each record, as `new_row` writes it."""
        import pyarrow.compute as pc

        return pc.binary_join_element_wise(f"{self.src.file_id}:", pc.cast(seq, pa.string()), "")

    def flush(self) -> None:
        if not self._rows:
            return
        rows, self._rows = self._rows, []
        self.records += len(rows)
        if self._rows_to is not None:
            self._rows_to(rows)
        else:
            self._flush(rows_table(rows))


def rows_table(rows: list[list[Any]]) -> pa.Table:
    """Rows in the record schema's column order as one Arrow table."""
    count = len(rows)
    arrays = [
        pa.nulls(count, field.type) if column.count(None) == count else _array(column, field)
        for column, field in zip(zip(*rows), ARROW_SCHEMA)
    ]
    return pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA)


def _array(column: tuple[Any, ...], field: pa.Field) -> pa.Array:
    """The column as Arrow; a value of the wrong type (untrusted input an ingester passed
    through) is kept as JSON text in a text column, or dropped from a numeric one."""
    try:
        return pa.array(column, type=field.type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        pass
    from analyzer.ingest.normalize.semconv import json_text

    if pa.types.is_string(field.type):
        return pa.array([v if v is None or isinstance(v, str) else json_text(v) for v in column], type=field.type)
    if pa.types.is_integer(field.type) or pa.types.is_floating(field.type):
        return pa.array([_number(v, field.type) for v in column], type=field.type)
    return pa.array([v if isinstance(v, list) and all(isinstance(x, str) for x in v) else None for v in column],
                    type=field.type)


def _number(value: Any, arrow_type: pa.DataType) -> int | float | None:
    try:
        number = float(value) if pa.types.is_floating(arrow_type) else int(value)
        pa.scalar(number, type=arrow_type)  # in range for the column
        return number
    except (TypeError, ValueError, OverflowError, pa.ArrowInvalid):
        return None

