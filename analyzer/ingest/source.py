"""Open an input file: content-based decompression with a bound against decompression bombs,
or one byte range of an uncompressed file (a part read by a worker process)."""

from __future__ import annotations

import gzip
import dataclasses
import hashlib
import io
import os
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from analyzer.errors import InputError

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

# A whole-document parse (pretty JSON) holds the text in memory: cap it.
MAX_DOCUMENT_BYTES = 1 << 30
# A file this small is read once, when it is hashed, and served from memory to the
# classifier and the reader (many small files: one open and one read each).
SMALL_FILE_BYTES = 1 << 20
# Decompressed output may exceed its input by at most this ratio (plus a floor).
MAX_EXPANSION_RATIO = 200
MIN_EXPANSION_ALLOWANCE = 256 << 20


@dataclass
class SourceFile:
    """One input file: where it is, how it is named in reports, and its content hash."""

    path: Path
    display: str
    size: int
    content_hash: str = ""
    compression: str | None = None
    file_id: str = ""
    problems: list[tuple[str, str]] = field(default_factory=list)  # (position, reason)
    # A part of the file (see `part`): readers start at byte `start`, line `first_line`.
    start: int = 0
    end: int | None = None
    first_line: int = 1
    # The raw (possibly compressed) bytes of a small file, read when it was hashed.
    data: bytes | None = field(default=None, repr=False, compare=False)
    # The content hash being computed on a thread (`describe(..., hash_later=True)`): `identify`.
    hashing: Future | None = field(default=None, repr=False, compare=False)
    # Bytes of the files read before this one in the same run (what readers choose a path by).
    run_bytes: int = field(default=0, compare=False)
    # Its one OTLP request scanned ahead (`prefetch`): (the scanner's batch, or None where it
    # left the request to the protobuf library,).
    scanned: tuple[Any] | None = field(default=None, repr=False, compare=False)

    def identify(self) -> None:
        """Wait for the hash being computed (if it is) and set `content_hash` and `file_id`;
        raises the OSError that stopped it."""
        if self.hashing is not None:
            digest = self.hashing.result()
            self.hashing = None
            self.content_hash, self.file_id = digest, digest[:12]

    def part(self, start: int, end: int, first_line: int = 1) -> SourceFile:
        """The bytes [start, end) of this uncompressed file, where line `first_line` begins:
        readers see them as the whole file but report true byte offsets and line numbers."""
        if self.compression is not None:
            raise ValueError(f"{self.display}: a compressed file cannot be read in parts")
        return dataclasses.replace(self, start=start, end=end, first_line=first_line, data=None)

    def open(self) -> BinaryIO:
        """A binary stream of the decompressed content (or of this part), bounded against bombs."""
        raw: BinaryIO = open(self.path, "rb") if self.data is None else io.BytesIO(self.data)
        if self.compression is None:
            if self.end is None:
                return raw
            raw.seek(self.start)
            return io.BufferedReader(_Window(raw, self.end - self.start), buffer_size=1 << 20)
        limit = max(self.size * MAX_EXPANSION_RATIO, MIN_EXPANSION_ALLOWANCE)
        if self.compression == "gzip":
            inner: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb")
        else:
            import zstandard

            inner = zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)
        return io.BufferedReader(_Bounded(inner, limit, self.display), buffer_size=1 << 20)


class _Bounded(io.RawIOBase):
    """Raises InputError once more than `limit` decompressed bytes have been read."""

    def __init__(self, inner: BinaryIO, limit: int, display: str) -> None:
        self._inner = inner
        self._limit = limit
        self._read = 0
        self._display = display

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        try:
            data = self._inner.read(len(buffer))
        except (OSError, EOFError, ValueError) as exc:
            raise InputError(
                f"corrupt compressed data: {exc}", position=f"decompressed byte {self._read}"
            ) from exc
        except Exception as exc:  # zstandard.ZstdError is not an OSError
            raise InputError(
                f"corrupt compressed data: {exc}", position=f"decompressed byte {self._read}"
            ) from exc
        n = len(data)
        self._read += n
        if self._read > self._limit:
            raise InputError(
                f"decompressed size exceeds {self._limit} bytes (possible decompression bomb)",
                position=f"decompressed byte {self._limit}",
            )
        buffer[:n] = data
        return n

    def close(self) -> None:
        self._inner.close()
        super().close()


class _Window(io.RawIOBase):
    """The next `length` bytes of `inner`, then end of file."""

    def __init__(self, inner: BinaryIO, length: int) -> None:
        self._inner = inner
        self._left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._left <= 0:
            return 0
        with memoryview(buffer) as view:
            n = self._inner.readinto(view[: min(len(view), self._left)])
        self._left -= n
        return n

    def close(self) -> None:
        self._inner.close()
        super().close()


HASH_CHUNK_BYTES = 32 << 20


def _digest(fh: BinaryIO) -> str:
    """blake2b of a large file, read in chunks of up to 32 MB: hashlib and the read let go of
    the GIL for each whole chunk, so a thread loading the readers meanwhile does not slow the
    hash down (with hashlib.file_digest's 256 kB chunks, each waited up to 5 ms for the GIL:
    0.55 s instead of 0.28 s for 248 MB). The buffer is no larger than the file: a zeroed 32 MB
    for each file of a few MB cost 19 ms a file (200 files of 1.2 MB: 3.9 s of 8.2)."""
    digest = hashlib.blake2b()
    buffer = bytearray(min(HASH_CHUNK_BYTES, os.fstat(fh.fileno()).st_size + 1))
    view = memoryview(buffer)
    while count := fh.readinto(buffer):
        digest.update(view[:count])
    return digest.hexdigest()


def describe(path: Path, display: str, hash_later: bool = False, data: bytes | None = None) -> SourceFile:
    """Hash the file (the store's dedupe key) and sniff its compression by magic bytes; a small
    file's bytes are kept (`data`) so that classifying and reading it open it no more. With
    `hash_later`, a large file is hashed on a thread while it is read (0.28 s for 248 MB):
    `SourceFile.identify` waits for it. Given `data` (the file's bytes, read ahead), the file
    is that content, and is not opened again."""
    hashing = None
    if data is None:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size <= SMALL_FILE_BYTES:
                data = fh.read(SMALL_FILE_BYTES + 1)
                if len(data) > SMALL_FILE_BYTES:  # grew while read
                    data = None
            if data is None:  # large: hash it streaming
                fh.seek(0)
                head = fh.read(4)
                fh.seek(0)
                if hash_later:
                    digest, hashing = "", _hash_on_thread(path)
                else:
                    digest = _digest(fh)
                size = os.fstat(fh.fileno()).st_size
    if data is not None:
        head, digest, size = data[:4], hashlib.blake2b(data).hexdigest(), len(data)
    compression = None
    if head.startswith(GZIP_MAGIC):
        compression = "gzip"
    elif head.startswith(ZSTD_MAGIC):
        compression = "zstd"
    return SourceFile(path, display, size, digest, compression, file_id=digest[:12], data=data, hashing=hashing)


def _hash_on_thread(path: Path) -> Future:
    hashing: Future = Future()

    def run() -> None:
        try:
            with open(path, "rb") as fh:
                hashing.set_result(_digest(fh))
        except BaseException as exc:  # (an OSError) raised by `identify`
            hashing.set_exception(exc)

    threading.Thread(target=run, name="seamscan-hash", daemon=True).start()
    return hashing


def read_document(src: SourceFile) -> bytes:
    """The whole decompressed content, refusing documents over MAX_DOCUMENT_BYTES."""
    with src.open() as fh:
        data = fh.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InputError(
            f"document larger than {MAX_DOCUMENT_BYTES} bytes cannot be parsed whole",
            position=f"byte {MAX_DOCUMENT_BYTES}",
            hint="write it as JSON Lines or a length-prefixed protobuf stream",
        )
    return data


def iter_lines(src: SourceFile) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, line) for every non-blank line, streaming."""
    with src.open() as fh:
        for number, line in enumerate(fh, src.first_line):
            if line.strip():
                yield number, line
