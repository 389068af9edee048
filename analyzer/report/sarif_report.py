"""`--format sarif`: SARIF 2.1.0 with every rule that ran and its documentation; each result
located in the input file its first evidence came from, the rest as related locations."""

from __future__ import annotations

from typing import Any, TextIO

import orjson

from analyzer.report.locations import file_uri, parse_source
from analyzer.report.model import ReportContext

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
FINGERPRINT_KEY = "seamscan/v1"


def render(report: dict[str, Any], context: ReportContext) -> str:
    rules = context.rules
    index = {rule.code: i for i, rule in enumerate(rules)}
    driver = {
        "name": "seamscan",
        "version": report["tool"]["version"],
        "semanticVersion": report["tool"]["version"],
        "rules": [_descriptor(rule) for rule in rules],
    }
    run = {
        "tool": {"driver": driver},
        "results": [_result(f, index) for f in report["findings"]],
        "columnKind": "unicodeCodePoints",
    }
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return orjson.dumps(log, option=orjson.OPT_INDENT_2).decode() + "\n"


def write(report: dict[str, Any], context: ReportContext, out: TextIO) -> None:
    out.write(render(report, context))


def _descriptor(rule) -> dict[str, Any]:
    doc = rule.doc_markdown()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.doc.get("what", rule.summary).strip()},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {"group": rule.group, "crossLayer": rule.cross_layer,
                       "options": {name: option.default for name, option in rule.options.items()}},
    }


def _location(source: str | None, text: str | None, location_id: int | None = None) -> dict[str, Any] | None:
    location = parse_source(source)
    if location is None:
        return None
    uri, relative = file_uri(location.file)
    artifact: dict[str, Any] = {"uri": uri}
    if relative:
        artifact["uriBaseId"] = "%SRCROOT%"
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if location.line is not None:
        physical["region"] = {"startLine": location.line}
    result: dict[str, Any] = {"physicalLocation": physical}
    if location_id is not None:
        result["id"] = location_id
    if text:
        result["message"] = {"text": text}
    return result


def _result(finding: dict[str, Any], index: dict[str, int]) -> dict[str, Any]:
    locations = [loc for i, e in enumerate(finding["evidence"])
                 if (loc := _location(e.get("source"), f"{e.get('layer')}: {e.get('what') or ''}", i)) is not None]
    result: dict[str, Any] = {
        "ruleId": finding["code"],
        "level": LEVEL[finding["severity"]],
        "message": {"text": finding["message"] or finding["name"]},
    }
    if finding["code"] in index:
        result["ruleIndex"] = index[finding["code"]]
    if locations:
        primary = dict(locations[0])
        primary.pop("id", None)
        primary.pop("message", None)
        result["locations"] = [primary]
        result["relatedLocations"] = locations
    result["partialFingerprints"] = {FINGERPRINT_KEY: finding["fingerprint"]}
    if "new" in finding:
        result["baselineState"] = "new" if finding["new"] else "unchanged"
    result["properties"] = {key: finding[key] for key in ("session", "trace_id", "step", "subject", "ts")}
    result["properties"]["evidence"] = finding["evidence"]
    return result
