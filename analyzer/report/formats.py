"""The report formats of `seamscan check --format`: one emitter module each, imported only
when that format is asked for. Each module has `write(report, context, out)`."""

from __future__ import annotations

import importlib
from typing import Any, TextIO

from analyzer.report.model import ReportContext

EMITTERS = {
    "text": "analyzer.report.text_report",
    "json": "analyzer.report.json_report",
    "sarif": "analyzer.report.sarif_report",
    "junit": "analyzer.report.junit_report",
    "github": "analyzer.report.github_report",
}


def write(output_format: str, report: dict[str, Any], context: ReportContext, out: TextIO) -> None:
    importlib.import_module(EMITTERS[output_format]).write(report, context, out)
