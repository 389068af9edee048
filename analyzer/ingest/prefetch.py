"""Reading ahead in a folder of OTLP requests, one a file (as an SDK's exports are often kept):
while the main thread normalizes and stores one file, a thread reads the next one and runs the
compiled scanner on it, as the scanning thread of a stream does for the stream's requests. The
file is then described from the bytes read ahead and read from its scanned batch; every other
step (classification, problems, numbering, the store) stays the main thread's, in file order."""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from analyzer.ingest.otlp import proto_reader


class Prefetch:
    """At most one file read ahead at a time, on one thread started by the first."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._due: tuple[Path, Future] | None = None

    def ahead(self, path: Path, run_bytes: int) -> None:
        """Read and scan `path` on the thread if it can be one request the scanner reads in a run
        that has read `run_bytes` before it (its reader decides again in its turn)."""
        try:
            size = os.stat(path).st_size
        except OSError:
            return  # its turn reports it
        if not proto_reader.scans_request_file(size, run_bytes):
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="seamscan-prefetch")
        self._discard()
        self._due = (path, self._pool.submit(proto_reader.scan_request_file, path, size))

    def take(self, path: Path) -> tuple[bytes, tuple[Any]] | None:
        """(bytes, (batch,)) of `path` if it was read ahead as a request, else None."""
        due, self._due = self._due, None
        if due is None or due[0] != path:
            if due is not None:
                due[1].cancel()
            return None
        try:
            return due[1].result()
        except Exception:  # (an OSError) its turn reads it as any file, and reports what fails
            return None

    def _discard(self) -> None:
        if self._due is not None:
            self._due[1].cancel()
            self._due = None

    def close(self) -> None:
        self._discard()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
