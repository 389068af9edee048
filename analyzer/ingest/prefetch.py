"""Reading ahead in a folder of OTLP requests, one a file (as an SDK's exports are often kept):
while the main thread normalizes and stores, a thread reads the coming files and runs the
compiled scanner on them, as the scanning thread of a stream does for the stream's requests.
A file is then described from the bytes read ahead and read from its scanned batch; every
other step (classification, problems, numbering, the store) stays the main thread's, in file
order."""

from __future__ import annotations

import os
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Sequence

from analyzer.ingest.otlp import proto_reader

# Files read ahead at most, and their bytes: the scanning thread keeps working while the main
# thread normalizes a batch of several files (one file ahead left it idle half of the time).
AHEAD_FILES = 8
AHEAD_BYTES = 64 << 20


class Prefetch:
    """Coming files read and scanned in order on one thread, started by the first."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._due: OrderedDict[Path, tuple[int, Future]] = OrderedDict()
        self._sizes: dict[Path, int] = {}  # the coming files asked about (read ahead, or not to be)

    def ahead(self, coming: Sequence[Path], run_bytes: int) -> None:
        """Read and scan, in their order, those of the `coming` files that can be one request the
        scanner reads, in a run that has read `run_bytes` before the first of them (each file's
        reader decides again in its turn)."""
        for path in coming:
            size = self._sizes.get(path)
            if size is None:
                try:
                    size = os.stat(path).st_size
                except OSError:
                    continue  # its turn reports it
                if (len(self._due) >= AHEAD_FILES
                        or sum(due for due, _ in self._due.values()) + size > AHEAD_BYTES):
                    return
                self._sizes[path] = size
                if proto_reader.scans_request_file(size, run_bytes):
                    if self._pool is None:
                        self._pool = ThreadPoolExecutor(1, thread_name_prefix="seamscan-prefetch")
                    self._due[path] = (size, self._pool.submit(proto_reader.scan_request_file, path, size))
            run_bytes += size

    def take(self, path: Path) -> tuple[bytes, tuple[Any]] | None:
        """(bytes, (batch,)) of `path` if it was read ahead as a request, else None."""
        self._sizes.pop(path, None)
        due = self._due.pop(path, None)
        if due is None:
            return None
        try:
            return due[1].result()
        except Exception:  # (an OSError) its turn reads it as any file, and reports what fails
            return None

    def close(self) -> None:
        for _, future in self._due.values():
            future.cancel()
        self._due.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
