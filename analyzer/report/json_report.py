"""`--format json`: the SPEC 6 contract, UTF-8, stable key order."""

from __future__ import annotations

from typing import Any

import orjson


def render(report: dict[str, Any]) -> str:
    return orjson.dumps(report, option=orjson.OPT_INDENT_2, default=str).decode() + "\n"
