"""Expand PATH arguments into files: directories walked recursively, in sorted order,
symlinked directories followed once (no loops)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

from analyzer.errors import UsageError


def input_files(paths: list[Path]) -> Iterator[tuple[Path, str]]:
    """(path, display name) of every file under `paths`; raises UsageError for a missing PATH."""
    seen_dirs: set[str] = set()
    seen_files: set[str] = set()
    for root in paths:
        if not root.exists():
            raise UsageError(f"Path {str(root)!r} does not exist")
        if root.is_file():
            real = os.path.realpath(root)
            if real not in seen_files:
                seen_files.add(real)
                yield root, str(root)
            continue
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
            real_dir = os.path.realpath(dirpath)
            if real_dir in seen_dirs:
                dirnames[:] = []
                continue
            seen_dirs.add(real_dir)
            dirnames.sort()
            for name in sorted(filenames):
                path = Path(dirpath) / name
                real = os.path.realpath(path)
                if real in seen_files or not os.path.isfile(path):
                    continue
                seen_files.add(real)
                yield path, str(path)
