"""`--format json`: the SPEC 6 contract, UTF-8, stable key order."""

from __future__ import annotations

from typing import Any, TextIO

import orjson


def render(report: dict[str, Any]) -> str:
    return orjson.dumps(report, option=orjson.OPT_INDENT_2, default=str).decode() + "\n"


def write(report: dict[str, Any], context: object, out: TextIO) -> None:
    out.write(render(report))
