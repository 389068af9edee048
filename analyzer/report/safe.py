"""Trace content is untrusted: make it inert before it reaches a terminal."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def inert(text: object, limit: int | None = None) -> str:
    """Control characters (ESC, CSI, BEL, ...) shown as escapes, clipped to `limit` chars.
    Callers still render the result with markup off."""
    value = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
    if limit is not None and len(value) > limit:
        value = value[: limit - 1] + "…"
    return value


def stdout_console(min_width: int = 160, file=None):
    """A rich console for data on stdout (or `file`): markup, emoji and highlighting off (content
    is literal), and a wide page when it is not a terminal so tables are not squeezed."""
    import sys

    from rich.console import Console

    width = None if (file or sys.stdout).isatty() else min_width
    return Console(file=file, highlight=False, markup=False, emoji=False, width=width)
