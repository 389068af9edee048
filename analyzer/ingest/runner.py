"""Ingest PATHs into a store: classify each file, read it with its ingester in Arrow batches
(a large file in parallel parts, see `parallel`), and account for every file as ingested,
skipped (with a reason) or in error (with a position)."""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import pyarrow as pa

from analyzer.ingest.otlp import proto_reader as otlp_proto
from analyzer.ingest.otlp.span_batch import Pending
from analyzer.errors import InputError
from analyzer.ingest.base import JsonIngester, read_failure
from analyzer.ingest import parallel as parallel_parts
from analyzer.ingest.parallel import ParallelReader, reads_in_parts
from analyzer.ingest.prefetch import AHEAD_FILES, Prefetch
from analyzer.ingest.registry import plan
from analyzer.ingest.sink import BATCH_ROWS, RecordSink, rows_table
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


# Rows gathered before one INSERT. Inserts run on the loading thread beside the reading, so the
# last one is what is left to wait for; smaller inserts hold fewer records waiting in Arrow while
# one is inserted. In memory, 32,768 rows took the time of 65,536 with 180-250 MB less at the
# peak; 16,384 take 0.95x the wall of 32,768 with another 100-260 MB less (200k spans of Google
# ADK's own instrumentation: 1.70 GB against 1.89, medians of 5 pairs). Into a file, where a
# transaction of several inserts is compressed at its commit (`Store.transactions`), 16,384 to
# 65,536 rows take the same time (4.1-4.6 s for 200k rich spans), and 16,384 the least memory
# (1.23-1.29 GB against 1.37-1.45).
LOAD_ROWS = 16_384
# DuckDB inserts on a loading thread beside the reading (off: the bench's per-stage CPU split).
LOAD_ON_THREAD = True

Progress = Callable[[str, int, int], None]  # (display path, bytes done, records done)


class _StoreBatches:
    """Store round trips shared by the files of one run: the rows of small files gathered into
    one Arrow batch, the file entries inserted together, the known content hashes read once.
    Batches reach the store in file order, as file by file loads would."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._rows: list[list[Any]] = []
        self._tables: list[pa.Table] = []  # batches not inserted yet, in file order
        self._table_rows = 0
        self._loader = None  # the loading thread, started by the first insert
        self._loading = None  # the insert in progress
        self._files: list[FileEntry] = []
        self.known = store.known_files()  # content hash -> path, this run's files included

    def add_rows(self, rows: list[list[Any]]) -> None:
        self._rows.extend(rows)
        if len(self._rows) >= BATCH_ROWS:
            self._load_rows()

    def add_table(self, table: pa.Table) -> None:
        self._load_rows()
        self._queue(table)

    def _queue(self, table: pa.Table) -> None:
        """Insert in batches of at least LOAD_ROWS rows: DuckDB has a cost per INSERT (20
        inserts of 10k rows cost 4x one of 200k)."""
        self._tables.append(table)
        self._table_rows += table.num_rows
        if self._table_rows >= LOAD_ROWS:
            self._insert()

    def _insert(self) -> None:
        """Hand the gathered batches to the store on the loading thread: DuckDB inserts while
        this thread goes on reading (one insert at a time, in file order)."""
        if self._tables:
            tables, self._tables, self._table_rows = self._tables, [], 0
            table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
            if not LOAD_ON_THREAD:
                self._store.load(table)
                return
            self._wait_loaded()
            if self._loader is None:
                from concurrent.futures import ThreadPoolExecutor

                self._loader = ThreadPoolExecutor(1, thread_name_prefix="seamscan-load")
            self._loading = self._loader.submit(self._store.load, table)

    def _wait_loaded(self) -> None:
        """Wait for the insert in progress, raising what it raised."""
        loading, self._loading = self._loading, None
        if loading is not None:
            loading.result()

    def add_file(self, entry: FileEntry) -> None:
        self.known.setdefault(entry.content_hash, entry.path)
        self._files.append(entry)

    def _load_rows(self) -> None:
        if self._rows:
            rows, self._rows = self._rows, []
            self._queue(rows_table(rows))

    def close(self) -> None:
        self._load_rows()
        self._insert()
        try:
            self._wait_loaded()
        finally:
            if self._loader is not None:
                self._loader.shutdown(wait=True)
                self._loader = None
        files, self._files = self._files, []
        self._store.add_files(files)


def ingest(
    paths: list[Path],
    store: Store,
    progress: Progress | None = None,
    extra_ingesters: Sequence[JsonIngester] = (),
) -> IngestSummary:
    """Load every file under `paths` into `store`, then resolve sessions and align clocks.
    `extra_ingesters` (e.g. harness mappings) are asked before the built-in ones."""
    summary = IngestSummary()
    with store.transactions():
        gc_was_enabled = gc.isenabled()
        gc.disable()  # millions of short-lived rows: the cycle collector only costs time here
        batches = _StoreBatches(store)
        try:
            with store.inserting():
                _read_files(paths, batches, summary, extra_ingesters, progress)
                batches.close()
        except BaseException:  # interrupted (Ctrl-C) or a bug: keep what was read, as file by file loads did
            with contextlib.suppress(Exception):
                batches.close()
            raise
        finally:
            if gc_was_enabled:
                gc.enable()
        store.add_problems(
            [(p.path, p.position, p.reason, "skipped") for p in summary.skipped]
            + [(p.path, p.position, p.reason, "error") for p in summary.errors]
        )
        store.finalize()
    return summary


def _read_files(
    paths: list[Path], batches: _StoreBatches, summary: IngestSummary, extra: Sequence[JsonIngester],
    progress: Progress | None,
) -> None:
    """Each file under `paths` in turn, the coming ones read ahead where they can be, and the
    requests of request files read ahead normalized together."""
    # worker processes start only for a large file, the read-ahead thread for a folder of requests
    with ParallelReader() as parallel, contextlib.closing(Prefetch()) as ahead:
        requests = Pending()  # the requests of request files read ahead, normalized together
        files = input_files(paths)
        coming = deque(itertools.islice(files, AHEAD_FILES + 1))
        while coming:
            path, display = coming.popleft()
            coming.extend(itertools.islice(files, 1))
            summary.files += 1
            _ingest_file(path, display, batches, summary, extra, parallel, ahead, requests,
                         [path for path, _ in coming])
            if progress:
                progress(display, summary.bytes, summary.records)
        requests.flush()


def _read_in(src: SourceFile, display: str, sink: RecordSink, batches: _StoreBatches, summary: IngestSummary) -> None:
    """Account for a file whose records have all reached the sink: its records, its problems,
    its entry in the store's files."""
    summary.records += sink.records
    summary.errors.extend(InputProblem(display, pos, reason) for pos, reason in sink.problems)
    batches.add_file(FileEntry(src.file_id, display, src.content_hash, src.size,
                               sink.source_kind, sink.source_format, sink.records))


def _preload(mode: str) -> None:
    """Load the readers ahead (a failure here shows again, and is handled, where they are used)."""
    with contextlib.suppress(Exception):
        parallel_parts.load_readers(mode)


def _likely_mode(path: Path) -> str | None:
    """A large file's reading mode as its first bytes suggest (an OTLP protobuf request or
    stream; JSON begins with a brace, a bracket or a space): which readers the workers load
    before the file is classified. A wrong guess costs only that loading. None for protobuf
    log records, which no compiled reader reads (loading numba's kernels for them took 0.9 s
    of CPU beside a 4.4 s ingest of 200k records)."""
    with open(path, "rb") as fh:
        head = fh.read(otlp_proto.SNIFF_BYTES)
        size = os.fstat(fh.fileno()).st_size
    sniffed = otlp_proto.sniff(head, size)  # first: one request begins with 0x0A, a newline
    if sniffed is not None:
        return None if sniffed[1] == "logs" else "proto-stream"
    return "jsonl" if head[:1] in (b"{", b"[", b" ", b"\t", b"\r", b"\n") else "proto-stream"


class _AlreadyStored(Exception):
    """The file's content is in the store already (found once its hash was done)."""

    def __init__(self, earlier: str) -> None:
        super().__init__(earlier)
        self.earlier = earlier


def _identify(src: SourceFile, batches: _StoreBatches) -> None:
    """Wait for `src`'s hash; _AlreadyStored if the store holds its content."""
    try:
        src.identify()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from exc
    earlier = batches.known.get(src.content_hash)
    if earlier is not None:
        raise _AlreadyStored(earlier)


def _ingest_file(
    path: Path, display: str, batches: _StoreBatches, summary: IngestSummary, extra: Sequence[JsonIngester],
    parallel: ParallelReader, ahead: Prefetch, requests: Pending, coming: Sequence[Path] = (),
) -> None:
    """Read one file into the store; the `coming` files after it may be read ahead meanwhile.
    A request file read ahead joins `requests`, normalized with the request files next to it, and
    is accounted for once its records are in; any other file first lets those go (file order)."""
    large = False
    read_ahead = ahead.take(path)
    if read_ahead is None or read_ahead[1][0] is None:
        requests.flush()
    try:
        if os.stat(path).st_size >= parallel_parts.PARALLEL_MIN_BYTES:
            # the readers (numba's kernels: ~0.3 s) load at once: in the workers for a file read
            # in parts, else on a thread here while this one hashes or classifies the file
            large = True
            mode = _likely_mode(path)
            if mode == "jsonl" or (mode and parallel_parts.PROTOBUF_IN_PARTS):
                parallel.start(mode)
            elif mode:
                threading.Thread(target=_preload, args=(mode,), daemon=True).start()
        # a large file is hashed on a thread while it is read; its records wait for the hash
        src = describe(path, display, hash_later=large, data=read_ahead[0] if read_ahead else None)
    except OSError as exc:
        summary.errors.append(InputProblem(display, None, f"cannot read: {exc.strerror or exc}"))
        return
    if read_ahead is not None:
        src.scanned = read_ahead[1]
    src.run_bytes = summary.bytes
    summary.bytes += src.size
    ahead.ahead(coming, summary.bytes)
    sink: RecordSink | None = None
    stored: _AlreadyStored | None = None
    failure: tuple[str | None, str] | None = None
    gathered = False
    try:
        if src.hashing is None:
            _identify(src, batches)
        how = plan(src, extra)
        in_parts = reads_in_parts(src, how)
        if src.hashing is not None and (how.mode == "skip" or in_parts):
            _identify(src, batches)  # (parts are copies of src: they take its id)
        if how.mode == "skip":
            summary.skipped.append(InputProblem(display, None, how.reason))
            return
        sink = RecordSink(src, how.source_kind, how.source_format, batches.add_table, rows_to=batches.add_rows,
                          identify=(lambda: _identify(src, batches)) if src.hashing is not None else None)
        scanned = otlp_proto.scanned_ahead(src, how.proto_kind) if how.mode == "proto-single" else None
        if scanned is not None:  # (identified already: its hash was known before its bytes were)
            batches.known.setdefault(src.content_hash, display)  # a copy later in the run is one
            requests.add(scanned, sink)
            gathered = True
            return
        requests.flush()
        if in_parts:
            parallel.read(src, how, sink)
        elif how.mode == "jsonl":
            how.ingester.read_lines(src, sink)
        elif how.mode == "json":
            how.ingester.read_document(how.document, src, sink)
        elif how.mode == "proto-single":
            otlp_proto.read_single(src, how.proto_kind, sink)
        else:
            otlp_proto.read_stream(src, how.proto_kind, sink)
    except _AlreadyStored as exc:
        stored = exc
    except Exception as exc:
        failure = read_failure(exc)
        if failure is None:
            raise
    finally:
        if gathered:
            requests.then(lambda: _read_in(src, display, sink, batches, summary))
        elif sink is not None and stored is None:
            try:
                sink.flush()
                _identify(src, batches)  # (a file that gave no record has not waited for it yet)
            except _AlreadyStored as exc:
                stored = exc
            except InputError as exc:  # its hash failed: nothing of it was numbered
                failure = failure or read_failure(exc)
            else:
                _read_in(src, display, sink, batches, summary)
        if stored is not None:  # the store has it: nothing else of it is reported
            summary.skipped.append(InputProblem(display, None, f"same content as {stored.earlier}, already in the store"))
        elif failure is not None:
            summary.errors.append(InputProblem(display, *failure))
