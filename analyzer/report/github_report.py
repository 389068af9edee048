"""`--format github`: one GitHub Actions workflow command per finding
(`::error file=...,line=...,title=...::message`), escaped so trace content cannot end the
command or start another. With a baseline, only new findings are annotated."""

from __future__ import annotations

from typing import Any, TextIO

from analyzer.report.locations import first_location
from analyzer.report.model import ReportContext
from analyzer.report.safe import inert

COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    """The message part: `%`, CR and LF are percent-encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: as data, plus `:` and `,`, which separate properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: dict[str, Any], context: ReportContext) -> str:
    lines = []
    for finding in report["findings"]:
        if not finding.get("new", True):
            continue
        properties = []
        location = first_location(finding)
        if location is not None:
            properties.append(f"file={escape_property(inert(location.file))}")
            if location.line is not None:
                properties.append(f"line={location.line}")
        title = f"{finding['code']} {finding['name']}"
        if finding["subject"]:
            title += f" ({finding['subject']})"
        properties.append(f"title={escape_property(inert(title))}")
        message = finding["message"] or finding["name"]
        if finding["session"]:
            message += f"\nsession {finding['session']}"
        for e in finding["evidence"]:
            message += f"\n{e['layer']} {e['source']}: {e['what']}"
        lines.append(f"::{COMMAND[finding['severity']]} {','.join(properties)}::{escape_data(inert(message))}")
    return "".join(line + "\n" for line in lines)


def write(report: dict[str, Any], context: ReportContext, out: TextIO) -> None:
    out.write(render(report, context))
