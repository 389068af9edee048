"""`--format junit`: one test suite per rule that ran, one test case per session (plus one for
the dataset when a rule has findings with no session); each finding is a failure. Findings a
baseline accepts do not fail their case; they are listed in its system-out."""

from __future__ import annotations

import re
from typing import Any, TextIO
from xml.etree import ElementTree as ET

from analyzer.report.model import ReportContext

DATASET_CASE = "(dataset)"
# Characters XML 1.0 cannot carry at all; shown as escapes like every control character.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def render(report: dict[str, Any], context: ReportContext) -> str:
    by_case: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for finding in report["findings"]:
        by_case.setdefault((finding["code"], finding["session"] or DATASET_CASE), []).append(finding)
    codes = [rule.code for rule in context.rules]
    names = {rule.code: rule.name for rule in context.rules}
    for finding in report["findings"]:  # a finding from a rule the context does not list still shows
        if finding["code"] not in names:
            codes.append(finding["code"])
            names[finding["code"]] = finding["name"]
    root = ET.Element("testsuites", name="seamscan")
    total_tests = total_failures = 0
    for code in codes:
        sessions = list(context.sessions)
        sessions += sorted({s for c, s in by_case if c == code and s not in sessions})
        suite = ET.SubElement(root, "testsuite", name=f"{code} {names[code]}")
        failures = 0
        for session in sessions:
            case = ET.SubElement(suite, "testcase", classname=f"seamscan.{code}", name=_xml(session))
            findings = by_case.get((code, session), [])
            failing = [f for f in findings if f.get("new", True)]
            if failing:
                failures += 1
                failure = ET.SubElement(case, "failure", type=failing[0]["severity"],
                                        message=_xml(failing[0]["message"] or names[code]))
                failure.text = "\n\n".join(_details(f) for f in failing)
            accepted = [f for f in findings if not f.get("new", True)]
            if accepted:
                ET.SubElement(case, "system-out").text = "accepted by the baseline:\n\n" + "\n\n".join(
                    _details(f) for f in accepted)
        suite.set("tests", str(len(sessions)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        total_tests += len(sessions)
        total_failures += failures
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write(report: dict[str, Any], context: ReportContext, out: TextIO) -> None:
    out.write(render(report, context))


def _details(finding: dict[str, Any]) -> str:
    lines = [f"{finding['severity']}: {finding['message']}",
             f"subject: {finding['subject']}  trace: {finding['trace_id']}  step: {finding['step']}  at {finding['ts']}"]
    for e in finding["evidence"]:
        lines.append(f"  {e['layer']} {e['source']}: {e['what']}")
    lines.append(f"fingerprint: {finding['fingerprint']}")
    return _xml("\n".join(lines))


def _xml(text: object) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                        str(text))
