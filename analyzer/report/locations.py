"""Evidence `source` strings (`file:position`) split back into a file and, where the position
has one, a line number (SARIF regions, GitHub annotations)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from urllib.parse import quote

# Positions the ingesters write: `12`, `12#span=..`, `12:post[0]`, `@1024#span=..`, `[3]`,
# `data[3]`, `#log=1`; only a leading number is a line.
_LINE = re.compile(r"^(\d+)")


@dataclass(frozen=True)
class Location:
    file: str
    line: int | None


def parse_source(source: str | None) -> Location | None:
    """`file:position` as a file and a 1-based line (None for byte offsets and JSON indices)."""
    if not source:
        return None
    # A position may hold ':' (`12:post[0]`), a path may too (`C:/x`): split at the first ':'
    # after the last path separator.
    name_start = max(source.rfind("/"), source.rfind("\\")) + 1
    split = source.find(":", name_start)
    if split < 0:
        return Location(source, None)
    line = _LINE.match(source[split + 1:])
    return Location(source[:split], int(line.group(1)) if line else None)


def file_uri(path: str) -> tuple[str, bool]:
    """(URI, is_relative): a relative path stays relative (code-scanning tools resolve it
    against the checkout), an absolute one becomes a `file://` URI."""
    pure = PureWindowsPath(path) if PureWindowsPath(path).drive else PurePosixPath(path)
    if pure.is_absolute():
        return pure.as_uri(), False
    return quote(pure.as_posix(), safe="/"), True


def first_location(finding: dict) -> Location | None:
    """The first evidence location of a finding (its primary location in SARIF and GitHub)."""
    for evidence in finding.get("evidence") or []:
        location = parse_source(evidence.get("source"))
        if location is not None:
            return location
    return None
