"""One golden file per report format (tests/report/goldens/demo.*). After an intended change,
regenerate them with `SEAMSCAN_UPDATE_GOLDENS=1 python -m pytest tests/report/test_goldens.py`
and review the diff."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from analyzer.report import formats

GOLDENS = Path(__file__).parent / "goldens"
GOLDEN_NAMES = {"text": "demo.txt", "json": "demo.json", "sarif": "demo.sarif", "junit": "demo.junit.xml",
                "github": "demo.github.txt"}


@pytest.mark.parametrize("output_format", list(formats.EMITTERS))
def test_format_matches_its_golden(demo_report, output_format):
    report, context = demo_report
    out = io.StringIO()
    formats.write(output_format, report, context, out)
    golden = GOLDENS / GOLDEN_NAMES[output_format]
    if os.environ.get("SEAMSCAN_UPDATE_GOLDENS"):
        GOLDENS.mkdir(exist_ok=True)
        golden.write_text(out.getvalue(), encoding="utf-8")
    assert out.getvalue() == golden.read_text(encoding="utf-8"), f"regenerate {golden.name} if the change is intended"


def test_goldens_hold_findings(demo_report):
    """The goldens are only worth something if the test rules fire on the demo."""
    report, _ = demo_report
    assert {f["code"] for f in report["findings"]} == {"TEST001", "TEST002"}
    assert any(f["session"] is None for f in report["findings"])


def test_every_format_of_the_cli_has_an_emitter_and_a_golden():
    from analyzer.cli.options import ReportFormat

    assert {f.value for f in ReportFormat} == set(formats.EMITTERS) == set(GOLDEN_NAMES)
