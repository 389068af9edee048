"""The OTLP protobuf inputs the protobuf tests share: which files are protobuf (classified by
content, as ingest does), and the requests a file holds, as proto_reader frames them."""

from __future__ import annotations

from pathlib import Path

from analyzer.ingest.registry import plan
from analyzer.ingest.source import describe


def protobuf_inputs(*roots: Path) -> list[tuple[Path, str, str]]:
    """(path, mode, kind) of every OTLP protobuf file under `roots` (missing roots hold none)."""
    found = []
    for root in roots:
        for path in sorted(root.rglob("*")) if root.is_dir() else ():
            if not path.is_file():
                continue
            try:
                how = plan(describe(path, str(path)))
            except Exception:  # unreadable inputs are the bad-input tests' business
                continue
            if how.mode.startswith("proto-"):
                found.append((path, how.mode, how.proto_kind))
    return found


def requests(path: Path, mode: str) -> list[tuple[bytes, str]]:
    """(message bytes, position prefix) of each request, as proto_reader reads the file (a cut
    last message keeps the bytes present)."""
    with describe(path, str(path)).open() as fh:
        data = fh.read()
    if mode == "proto-single":
        return [(data, "@0")]
    out, offset = [], 0
    while offset + 4 <= len(data):
        length = int.from_bytes(data[offset:offset + 4], "big")
        out.append((data[offset + 4:offset + 4 + length], f"@{offset}"))
        offset += 4 + length
    return out
