"""Trace content is untrusted: every format shows it literally and it cannot break the format
(no terminal escapes or Rich markup in text, no new workflow command in github, valid XML)."""

from __future__ import annotations

import io
from xml.etree import ElementTree as ET

from analyzer.report import formats, github_report, junit_report, text_report
from analyzer.report.safe import stdout_console

HOSTILE = "\x1b[31mred\x1b[0m [bold]x[/bold] 100%\r\n::error::fake\x07, a:b"


def hostile(report: dict) -> dict:
    finding = report["findings"][0]
    finding["message"] = HOSTILE
    finding["subject"] = "tool,name:x\n::warning::y"
    finding["evidence"][0]["what"] = HOSTILE
    return finding


def test_github_escaping_rules():
    assert github_report.escape_data("100%\r\nx") == "100%25%0D%0Ax"
    assert github_report.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_github_annotations_cannot_be_split_or_forged(demo_report):
    report, context = demo_report
    hostile(report)
    lines = github_report.render(report, context).splitlines()
    assert len(lines) == len(report["findings"])
    first = lines[0]
    assert first.startswith("::error file=fixtures/demo/agent/support-agent.traces.jsonl,line=2,title=TEST001 ")
    properties, message = first[len("::error "):].split("::", 1)
    assert "tool%2Cname%3Ax%0A%3A%3Awarning%3A%3Ay" in properties
    assert "\x1b" not in first and "\x07" not in first and "\r" not in first
    assert "100%25" in message and "\\x1b[31mred" in message


def test_github_annotates_only_new_findings_with_a_baseline(demo_report):
    report, context = demo_report
    for finding in report["findings"]:
        finding["new"] = finding["code"] == "TEST002"
    lines = github_report.render(report, context).splitlines()
    assert len(lines) == 1 and lines[0].startswith("::warning ") and "TEST002" in lines[0]


def test_junit_stays_valid_xml(demo_report):
    report, context = demo_report
    hostile(report)
    root = ET.fromstring(junit_report.render(report, context))
    failure = root.find(".//failure")
    assert failure is not None and "[bold]x[/bold]" in failure.get("message")
    assert "\\x1b[31mred" in failure.get("message") and "\\x07" in failure.text


def test_junit_has_a_case_per_rule_and_session(demo_report):
    report, context = demo_report
    root = ET.fromstring(junit_report.render(report, context))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["TEST001 caller-error-tool-side", "TEST002 busy-model"]
    cases = {s.get("name"): [c.get("name") for c in s.findall("testcase")] for s in suites}
    assert cases["TEST001 caller-error-tool-side"] == context.sessions
    assert cases["TEST002 busy-model"] == context.sessions + [junit_report.DATASET_CASE]
    failing = {c.get("name") for c in suites[0].findall("testcase") if c.find("failure") is not None}
    assert failing == {f["session"] for f in report["findings"] if f["code"] == "TEST001"}
    assert root.get("failures") == str(len(failing) + 1)


def test_junit_baseline_accepted_findings_do_not_fail(demo_report):
    report, context = demo_report
    for finding in report["findings"]:
        finding["new"] = False
    root = ET.fromstring(junit_report.render(report, context))
    assert root.find(".//failure") is None and root.get("failures") == "0"
    assert "accepted by the baseline" in root.find(".//system-out").text


def test_text_shows_trace_strings_literally(demo_report):
    report, context = demo_report
    hostile(report)
    out = io.StringIO()
    text_report.render(report, stdout_console(file=out), context)
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b[31mred\\x1b[0m [bold]x[/bold] 100%" in text


def test_every_format_writes_to_a_file(demo_report, tmp_path):
    report, context = demo_report
    for name in formats.EMITTERS:
        target = tmp_path / f"report.{name}"
        with open(target, "w", encoding="utf-8") as out:
            formats.write(name, report, context, out)
        assert target.stat().st_size > 0


def test_trace_rows_show_hostile_fields_literally():
    from analyzer.report import trace_text
    from analyzer.report.session_trace import TraceRow

    row = TraceRow(record_id="r", step=1, depth=1, offset_ns=5_000_000, duration_ns=None, layer="harness\x1b[2J",
                   kind="tool.result", name="[red]tool[/red]\x1b]8;;http://x\x07", status="ok\x1b[5m",
                   detail="→ \x1b[31m{}", source="f:1", clock_domain=None)
    out = io.StringIO()
    stdout_console(file=out).print(trace_text.row_line(row, "▶"))
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text
    assert "[red]tool[/red]\\x1b]8;;http://x\\x07" in text and "ok\\x1b[5m" in text and "harness\\x1b[2J" in text
