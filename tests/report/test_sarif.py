"""SARIF 2.1.0: the report validates against the official schema (vendored in tests/report/sarif
with its licence), every rule carries its documentation, results point into the input files."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from analyzer.engine.baseline import mark_new
from analyzer.report import sarif_report

SCHEMA = json.loads((Path(__file__).parent / "sarif" / "sarif-schema-2.1.0.json").read_text())


def validate(log: dict) -> None:
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    errors = sorted(jsonschema.Draft4Validator(SCHEMA).iter_errors(log), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def test_the_report_is_valid_sarif_2_1_0(demo_report):
    report, context = demo_report
    log = json.loads(sarif_report.render(report, context))
    validate(log)
    assert log["version"] == "2.1.0" and len(log["runs"][0]["results"]) == len(report["findings"])


def test_the_validator_rejects_what_the_schema_forbids(demo_report):
    report, context = demo_report
    log = json.loads(sarif_report.render(report, context))
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(AssertionError):
        validate(log)


def test_every_rule_carries_its_documentation(demo_report):
    report, context = demo_report
    rules = json.loads(sarif_report.render(report, context))["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [rule.code for rule in context.rules]
    for descriptor, rule in zip(rules, context.rules):
        assert descriptor["help"]["markdown"] == rule.doc_markdown()
        for title in ("What it does", "Why is this bad?", "Example", "How to fix"):
            assert f"## {title}" in descriptor["help"]["text"]


def test_results_are_located_in_the_input_files(demo_report):
    report, context = demo_report
    results = json.loads(sarif_report.render(report, context))["runs"][0]["results"]
    first = results[0]
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "fixtures/demo/agent/support-agent.traces.jsonl"
    assert location["region"]["startLine"] == 2  # `2#span=...`: line 2 of a JSON Lines file
    related = [r["physicalLocation"] for r in first["relatedLocations"]]
    assert related[1]["artifactLocation"]["uri"] == "fixtures/demo/order-tools/order-tools.traces.pb"
    assert "region" not in related[1]  # `@844#span=...`: a byte offset in a protobuf stream, no line
    assert all(r["partialFingerprints"]["seamscan/v1"] for r in results)


def test_baseline_state_is_set_when_a_baseline_is_used(demo_report):
    report, context = demo_report
    mark_new(report["findings"], {report["findings"][0]["fingerprint"]}, Path("baseline.json"))
    log = json.loads(sarif_report.render(report, context))
    validate(log)
    states = [r["baselineState"] for r in log["runs"][0]["results"]]
    assert states[0] == "unchanged" and set(states[1:]) == {"new"}


def test_hostile_and_absolute_sources_stay_valid(demo_report):
    report, context = demo_report
    finding = report["findings"][0]
    finding["message"] = "\x1b[31mred\x1b[0m [bold]x[/bold]"
    finding["evidence"][0]["source"] = "/abs/dir with space/f.jsonl:7#span=1"
    log = json.loads(sarif_report.render(report, context))
    validate(log)
    result = log["runs"][0]["results"][0]
    assert result["message"]["text"] == finding["message"]  # JSON carries it exactly; viewers escape
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri == {"uri": "file:///abs/dir%20with%20space/f.jsonl"}


def test_the_shipped_rule_pack_on_the_demo_is_valid_sarif():
    from analyzer.engine.registry import load_rules
    from analyzer.engine.runner import run_rules
    from analyzer.report.model import build_report, report_context
    from tests.conftest import FIXTURES, ingest_paths

    rules = load_rules()
    store, summary = ingest_paths(FIXTURES / "demo")
    try:
        report = build_report(summary, store, run_rules(store.con, rules))
        log = json.loads(sarif_report.render(report, report_context(store, rules)))
    finally:
        store.close()
    validate(log)
    assert len(log["runs"][0]["tool"]["driver"]["rules"]) == len(rules)
    assert all(r["ruleIndex"] == [d["id"] for d in log["runs"][0]["tool"]["driver"]["rules"]].index(r["ruleId"])
               for r in log["runs"][0]["results"])
