"""Ingest PATHs into a store: classify each file, read it with its ingester in Arrow batches
(a large file in parallel parts, see `parallel`), and account for every file as ingested,
skipped (with a reason) or in error (with a position)."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from analyzer.ingest.otlp import proto_reader as otlp_proto
from analyzer.ingest.base import JsonIngester, read_failure
from analyzer.ingest.parallel import ParallelReader, reads_in_parts
from analyzer.ingest.registry import plan
from analyzer.ingest.sink import RecordSink
from analyzer.ingest.source import SourceFile, describe
from analyzer.ingest.walk import input_files
from analyzer.store.db import FileEntry, Store


@dataclass
class InputProblem:
    path: str
    position: str | None
    reason: str

    def as_dict(self) -> dict[str, str | None]:
        reason = f"{self.position}: {self.reason}" if self.position else self.reason
        return {"path": self.path, "position": self.position, "reason": reason}


@dataclass
class IngestSummary:
    """What one ingest run did with its inputs (the report's `inputs`)."""

    files: int = 0
    records: int = 0
    bytes: int = 0
    skipped: list[InputProblem] = field(default_factory=list)
    errors: list[InputProblem] = field(default_factory=list)


Progress = Callable[[str, int, int], None]  # (display path, bytes done, records done)


def ingest(
    paths: list[Path],
    store: Store,
    progress: Progress | None = None,
    extra_ingesters: Sequence[JsonIngester] = (),
) -> IngestSummary:
    """Load every file under `paths` into `store`, then resolve sessions and align clocks.
    `extra_ingesters` (e.g. harness mappings) are asked before the built-in ones."""
    summary = IngestSummary()
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of short-lived rows: the cycle collector only costs time here
    try:
        with ParallelReader() as parallel:  # starts worker processes only for a large file
            for path, display in input_files(paths):
                summary.files += 1
                _ingest_file(path, display, store, summary, extra_ingesters, parallel)
                if progress:
                    progress(display, summary.bytes, summary.records)
    finally:
        if gc_was_enabled:
            gc.enable()
    store.add_problems(
        [(p.path, p.position, p.reason, "skipped") for p in summary.skipped]
        + [(p.path, p.position, p.reason, "error") for p in summary.errors]
    )
    store.finalize()
    return summary


def _ingest_file(
    path: Path, display: str, store: Store, summary: IngestSummary, extra: Sequence[JsonIngester],
    parallel: ParallelReader,
) -> None:
    try:
        src = describe(path, display)
    except OSError as exc:
        summary.errors.append(InputProblem(display, None, f"cannot read: {exc.strerror or exc}"))
        return
    summary.bytes += src.size
    earlier = store.known_file(src.content_hash)
    if earlier is not None:
        summary.skipped.append(InputProblem(display, None, f"same content as {earlier}, already in the store"))
        return
    sink: RecordSink | None = None
    try:
        how = plan(src, extra)
        if how.mode == "skip":
            summary.skipped.append(InputProblem(display, None, how.reason))
            return
        sink = RecordSink(src, how.source_kind, how.source_format, store.load)
        if reads_in_parts(src, how):
            parallel.read(src, how, sink)
        elif how.mode == "jsonl":
            how.ingester.read_lines(src, sink)
        elif how.mode == "json":
            how.ingester.read_document(how.document, src, sink)
        elif how.mode == "proto-single":
            otlp_proto.read_single(src, how.proto_kind, sink)
        else:
            otlp_proto.read_stream(src, how.proto_kind, sink)
    except Exception as exc:
        failure = read_failure(exc)
        if failure is None:
            raise
        summary.errors.append(InputProblem(display, *failure))
    finally:
        if sink is not None:
            sink.flush()
            summary.records += sink.records
            summary.errors.extend(InputProblem(display, pos, reason) for pos, reason in sink.problems)
            store.add_file(FileEntry(src.file_id, display, src.content_hash, src.size,
                                     sink.source_kind, sink.source_format, sink.records))
