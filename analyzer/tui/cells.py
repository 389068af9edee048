"""Rich Text for table cells and panes. Every piece of trace content goes through `literal`:
control characters made inert, no markup parsed."""

from __future__ import annotations

from typing import Any

import orjson
from rich.text import Text

from analyzer.engine.runner import rfc3339
from analyzer.report import SEVERITY_STYLE
from analyzer.report.safe import inert
from analyzer.report.trace_text import LAYER_STYLE, STATUS_STYLE
from analyzer.report.trace_text import _duration as duration  # one duration format for trace and TUI

BADGE_STYLE = {"model": "black on magenta", "tool": "black on cyan", "agent": "black on green",
               "harness": "black on yellow", "other": "black on grey50"}
EVIDENCE_STYLE = "bold yellow"
VALUE_LIMIT = 4000  # characters of one field in the detail pane (SPEC 10: huge values shown truncated)


def literal(value: object, limit: int | None = None, style: str = "") -> Text:
    """Untrusted text as a Text that renders exactly as written (after `inert`)."""
    return Text("" if value is None else inert(value, limit), style=style)


def one_line(value: object, limit: int) -> Text:
    """Untrusted text on one line (whitespace runs folded), clipped to `limit` characters."""
    return literal(" ".join(str(value or "").split()), limit)


def severity(value: str) -> Text:
    return Text(value, style=SEVERITY_STYLE.get(value, ""))


def layer_badge(layer: str) -> Text:
    return Text(f" {layer:<7}", style=BADGE_STYLE.get(layer, BADGE_STYLE["other"]))


def status(value: str | None) -> Text:
    if not value or value == "unset":
        return Text("")
    return literal(value, 12, STATUS_STYLE.get(value, ""))


def offset(ns: int | None) -> str:
    return "" if ns is None else f"+{ns / 1e9:.3f}s"


def timestamp(ns: int | None) -> str:
    """Aligned time as RFC 3339 (taken from the data, never from the wall clock)."""
    return rfc3339(ns) or ""


def duration_bar(offset_ns: int | None, duration_ns: int | None, span_ns: int, width: int, layer: str) -> Text:
    """A bar on the session's shared time axis: where the record starts and how long it runs."""
    if offset_ns is None or span_ns <= 0:
        return Text(" " * width)
    start = min(width - 1, int(offset_ns / span_ns * width))
    length = max(1, round((duration_ns or 0) / span_ns * width)) if duration_ns else 1
    length = min(length, width - start)
    glyph = "━" if duration_ns else "╹"
    bar = Text(" " * start)
    bar.append(glyph * length, style=LAYER_STYLE.get(layer, "dim"))
    bar.append(" " * (width - start - length))
    return bar


def pretty(value: Any) -> str:
    """JSON text indented when it parses, else the value as written."""
    if isinstance(value, (dict, list)):
        return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    text = str(value)
    if text[:1] in "[{":
        try:
            return orjson.dumps(orjson.loads(text), option=orjson.OPT_INDENT_2).decode()
        except orjson.JSONDecodeError:
            return text
    return text


def clipped(value: Any) -> Text:
    """A detail-pane field: pretty, inert, at most VALUE_LIMIT characters with the rest counted."""
    text = pretty(value)
    if len(text) <= VALUE_LIMIT:
        return literal(text)
    shown = literal(text[:VALUE_LIMIT])
    shown.append(f"\n… {len(text) - VALUE_LIMIT} more characters", style="dim")
    return shown
