"""Large uncompressed files read in parts by worker processes and by the parent.

A length-prefixed protobuf stream is split at message boundaries, JSON Lines at line
boundaries. Each part is read by the serial reader (`read_stream`, `read_lines`) on a
`SourceFile.part`, so positions stay true; workers return Arrow batches and the parent loads
them in file order, with a bounded number of parts in flight. The parent is one of the
readers: while the part due next is still with a worker it reads a later part itself (with
2 cores: one worker process, and no core idle while the parent waits). Small inputs never
start a worker. Records are numbered in the parent (`RecordSink.add_part`): `seq` is the record's
ordinal in the file and `record_id` is `file_id:seq`, whichever path read the file."""

from __future__ import annotations

import gc
import os
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, Iterator

from analyzer.errors import InputError
from analyzer.ingest.base import read_failure
from analyzer.ingest.sink import RecordSink
from analyzer.ingest.source import SourceFile

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

    import pyarrow as pa

    from analyzer.ingest.registry import Plan

# Uncompressed files at least this large are read in parallel parts (tests lower it).
PARALLEL_MIN_BYTES = 32 << 20
# A part ends at the first message or line boundary at or after this many bytes.
PART_BYTES = 4 << 20
# JSON Lines parts are larger: DuckDB's JSON reader has a fixed cost per part (16 MB parts read
# 200k rich spans in 10.5 s where 4 MB parts took 16 s; the peak grows ~0.8 GB with them).
JSONL_PART_BYTES = 16 << 20
WORKERS = os.cpu_count() or 1  # readers: the parent and WORKERS - 1 worker processes
# The parent reads a part itself rather than wait for a worker's (tests turn it off so that a part
# meant to kill its reader's process only ever reaches a worker).
PARENT_READS = True
# Parts submitted but not yet loaded, per worker: keeps workers busy while memory stays bounded.
PARTS_IN_FLIGHT_PER_WORKER = 2


# A protobuf stream is read in one process: its compiled scanner and normalization keep one core
# busy while DuckDB inserts on the other (runner's loading thread). Read in parts it was slower:
# 200k rich spans (248 MB) in 4.6 s against 4.1 s, 400k in 11.2 s against 8.6 s (a worker's
# start-up and every batch pickled back cost more than the half of the reading it takes over).
PROTOBUF_IN_PARTS = False


def reads_in_parts(src: SourceFile, how: Plan) -> bool:
    """Whether `src` is read in parallel parts: large, uncompressed, and JSON Lines whose
    ingester reads each line on its own (`independent_lines`), or a protobuf stream when
    PROTOBUF_IN_PARTS."""
    if src.compression is not None or src.size < PARALLEL_MIN_BYTES or WORKERS < 2:
        return False
    if how.mode == "proto-stream":
        return PROTOBUF_IN_PARTS
    return how.mode == "jsonl" and getattr(how.ingester, "independent_lines", False) is True


@dataclass(frozen=True)
class PartTask:
    """What a worker needs to read one part (pickled to it)."""

    part: SourceFile
    mode: str  # 'jsonl' | 'proto-stream'
    ingester: Any  # the JsonIngester, for 'jsonl'
    proto_kind: str
    source_kind: str
    source_format: str


@dataclass
class PartResult:
    """A part read by a worker: its batches (rows numbered from 0), how many rows it numbered,
    its problems and, if reading stopped early, the (position, reason) where it failed."""

    tables: list[pa.Table]
    rows_numbered: int
    problems: list[tuple[str, str]]
    failure: tuple[str | None, str] | None


def read_part(task: PartTask | str) -> PartResult | None:
    """Worker side: read one part with the serial reader into Arrow batches (given a mode
    instead, only load what reading it needs)."""
    if isinstance(task, str):
        load_readers(task)
        return None
    tables: list[pa.Table] = []
    sink = RecordSink(task.part, task.source_kind, task.source_format, tables.append)
    failure = None
    try:
        if task.mode == "jsonl":
            task.ingester.read_lines(task.part, sink)
        else:
            from analyzer.ingest.otlp import proto_reader as otlp_proto

            otlp_proto.read_stream(task.part, task.proto_kind, sink)
    except Exception as exc:  # handed back as text: the parent reports it, never crashes on it
        failure = read_failure(exc) or (_part_position(task.part, task.mode), _worker_failed(task.part, exc))
    sink.flush()
    return PartResult(tables, sink.rows_numbered, sink.problems, failure)


def load_readers(mode: str) -> None:
    """Import and warm what reading `mode` needs ('jsonl' or 'proto-stream'), numba's
    kernels from its cache included, ahead of the first part."""
    from analyzer.ingest.normalize import columnar  # the columnar readers' normalization

    kernel = columnar.compiled("genai_kernel")
    if kernel is not None:
        kernel.warm()  # from numba's cache
    if mode == "proto-stream":
        from analyzer.ingest.otlp import proto_reader

        scanner = proto_reader._scanner()
        if scanner is not None:
            scanner.warm()  # from numba's cache: loads the kernels without compiling


def worker_processes() -> int:
    """The processes a ParallelReader starts besides the parent, which reads parts too."""
    return max(1, WORKERS - 1)


class ParallelReader:
    """Reads large files in parts with a pool of worker processes, started at the first such
    file (small inputs stay single-process) and stopped by `close`. Workers are spawned, so
    they import the main module: a script that ingests must guard its work with
    `if __name__ == "__main__":` (the `seamscan` command and `python -m analyzer` do)."""

    def __init__(self, workers: int | None = None) -> None:
        self._workers = workers or worker_processes()
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> ParallelReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self, mode: str) -> None:
        """Start the workers now and have each load what reading `mode` ('jsonl' or
        'proto-stream') needs, so that they are ready by the time the parent has hashed and
        classified a large file (spawning and loading take ~0.8 s a worker)."""
        if self._executor is None:
            for _ in range(self._workers):
                self._submit(mode)

    def read(self, src: SourceFile, how: Plan, sink: RecordSink) -> None:
        """Read `src` into `sink` as the serial reader would: same rows, `seq`s and problems.
        Raises InputError where the first failing part stopped, after loading what it read.

        The parent reads parts too: whenever the part due next is still with a worker, it reads
        the next unassigned part itself rather than wait (its result is held until its turn)."""
        in_flight: deque[tuple[SourceFile, Future[PartResult] | PartResult]] = deque()
        parts = split(src, how.mode)
        limit = self._workers * PARTS_IN_FLIGHT_PER_WORKER

        def task(part: SourceFile) -> PartTask:
            return PartTask(part, how.mode, how.ingester, how.proto_kind, how.source_kind, how.source_format)

        try:
            while True:
                while self._submitted(in_flight) < limit and (next_part := next(parts, None)) is not None:
                    in_flight.append((next_part, self._submit(task(next_part))))
                if not in_flight:
                    return
                part, due = in_flight[0]
                if (isinstance(due, PartResult) or due.done() or not PARENT_READS
                        or len(in_flight) - self._submitted(in_flight) >= limit
                        or (next_part := next(parts, None)) is None):
                    in_flight.popleft()
                    result = due if isinstance(due, PartResult) else self._result(part, how.mode, due)
                    sink.add_part(result.tables, result.rows_numbered)
                    sink.problems.extend(result.problems)
                    if result.failure is not None:
                        position, reason = result.failure
                        raise InputError(reason, position=position)
                else:
                    in_flight.append((next_part, read_part(task(next_part))))
        finally:
            parts.close()
            for _, due in in_flight:
                if not isinstance(due, PartResult):
                    due.cancel()

    @staticmethod
    def _submitted(in_flight: deque) -> int:
        return sum(1 for _, due in in_flight if not isinstance(due, PartResult))

    def _submit(self, task: PartTask | str) -> Future[PartResult]:
        from concurrent.futures import BrokenExecutor

        if self._executor is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # spawn: the parent holds a DuckDB connection (and its threads), which fork would copy
            self._executor = ProcessPoolExecutor(
                self._workers, mp_context=multiprocessing.get_context("spawn"), initializer=gc.disable
            )
        try:
            return self._executor.submit(read_part, task)
        except BrokenExecutor:  # a worker died: parts still in flight report it, this one gets a new pool
            self._discard()
            return self._submit(task)

    def _result(self, part: SourceFile, mode: str, future: Future[PartResult]) -> PartResult:
        from concurrent.futures import BrokenExecutor

        try:
            return future.result()
        except Exception as exc:  # the worker died, or its result could not be sent back
            if isinstance(exc, BrokenExecutor):
                self._discard()
            raise InputError(_worker_failed(part, exc), position=_part_position(part, mode)) from exc

    def _discard(self) -> None:
        """Drop a pool that may be broken; the next large file starts a new one."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


def _part_position(part: SourceFile, mode: str) -> str:
    return f"line {part.first_line}" if mode == "jsonl" else f"byte {part.start}"


def _worker_failed(part: SourceFile, exc: BaseException) -> str:
    return f"worker failed reading the part from here to byte {part.end}: {type(exc).__name__}: {exc}"


def split(src: SourceFile, mode: str, part_bytes: int | None = None) -> Iterator[SourceFile]:
    """The parts of `src`, in file order, each about `part_bytes` (PART_BYTES) long."""
    part_bytes = part_bytes or (JSONL_PART_BYTES if mode == "jsonl" else PART_BYTES)
    with open(src.path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if mode == "jsonl":
            yield from _line_parts(src, fh, size, part_bytes)
        else:
            yield from _message_parts(src, fh, size, part_bytes)


def _line_parts(src: SourceFile, fh: BinaryIO, size: int, part_bytes: int) -> Iterator[SourceFile]:
    """Parts ending just after a newline; their newlines are counted to give each part the
    number of its first line."""
    start, first_line = 0, 1
    while start < size:
        fh.seek(start)
        block = fh.read(part_bytes)
        if not block:
            return
        newlines = block.count(b"\n")
        end = start + len(block)
        if end < size:
            cut = block.rfind(b"\n") + 1
            if cut:
                end = start + cut  # no newline after the cut: `newlines` stays right
            else:  # a line longer than a part: the part runs to its end
                end += _rest_of_line(fh)
                newlines = 1
        yield src.part(start, end, first_line)
        first_line += newlines
        start = end


def _rest_of_line(fh: BinaryIO) -> int:
    """Bytes from the current offset up to and including the next newline (or end of file)."""
    length = 0
    while piece := fh.readline(1 << 20):
        length += len(piece)
        if piece.endswith(b"\n"):
            break
    return length


def _message_parts(src: SourceFile, fh: BinaryIO, size: int, part_bytes: int) -> Iterator[SourceFile]:
    """Parts ending at a message boundary. Splitting stops at the first prefix that is cut or
    out of bounds: the rest of the file is the last part, whose reader reports it."""
    from analyzer.ingest.otlp.proto_reader import MAX_MESSAGE_BYTES

    start = offset = 0
    while offset < size:
        fh.seek(offset)
        prefix = fh.read(4)
        length = int.from_bytes(prefix, "big")
        if len(prefix) < 4 or length > MAX_MESSAGE_BYTES or offset + 4 + length > size:
            break
        offset += 4 + length
        if offset - start >= part_bytes:
            yield src.part(start, offset)
            start = offset
    if start < size:
        yield src.part(start, size)
