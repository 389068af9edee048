"""The report tests' input: fixtures/demo (given as a relative path, as a user in the repository
would) run through a test-only rule pack, so goldens test the emitters, not the shipped rules."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import ROOT

TEST_RULES = Path(__file__).parent / "rules"
PINNED_VERSION = "0.0.0-golden"  # goldens do not change with each release
# The clock estimate is the clock module's to test; goldens pin its output (shape per SPEC 6).
PINNED_CLOCKS = [
    {"domain": "support-agent@agent-host-1", "reference": True, "offset_ms": 0.0, "lower_ms": 0.0,
     "upper_ms": 0.0, "constraints": 16, "consistent": True, "set_aside": 0},
    {"domain": "order-tools@tools-host-1", "reference": False, "offset_ms": 1900.015, "lower_ms": 1899.655,
     "upper_ms": 1900.375, "constraints": 16, "consistent": True, "set_aside": 1},
]


@pytest.fixture
def demo_report():
    """(report, context) for fixtures/demo under the test rules; the store stays open."""
    from analyzer.engine.registry import load_rules
    from analyzer.engine.runner import run_rules
    from analyzer.ingest.runner import ingest
    from analyzer.report.model import build_report, report_context
    from analyzer.store.db import Store

    rules = load_rules(TEST_RULES)
    cwd = os.getcwd()
    os.chdir(ROOT)
    store = Store(None)
    try:
        summary = ingest([Path("fixtures/demo")], store)
    finally:
        os.chdir(cwd)
    findings = run_rules(store.con, rules)
    report = build_report(summary, store, findings)
    report["tool"]["version"] = PINNED_VERSION
    report["clocks"] = PINNED_CLOCKS
    yield report, report_context(store, rules)
    store.close()
