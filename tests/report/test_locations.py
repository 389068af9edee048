"""Evidence sources split into file and line for SARIF regions and GitHub annotations."""

from __future__ import annotations

import pytest

from analyzer.report.locations import Location, file_uri, parse_source


@pytest.mark.parametrize(("source", "expected"), [
    ("otlp/tools.jsonl:3#span=ab12", Location("otlp/tools.jsonl", 3)),
    ("harness/gw.jsonl:118", Location("harness/gw.jsonl", 118)),
    ("runs.json:12:post[0]", Location("runs.json", 12)),
    ("tools.pb:@1024#span=ab", Location("tools.pb", None)),
    ("export.json:[3]", Location("export.json", None)),
    ("export.json:data[3]", Location("export.json", None)),
    ("logs.json:#log=1", Location("logs.json", None)),
    ("C:/traces/a.jsonl:7#span=1", Location("C:/traces/a.jsonl", 7)),
    ("no-position", Location("no-position", None)),
    (None, None),
])
def test_parse_source(source, expected):
    assert parse_source(source) == expected


def test_file_uri():
    assert file_uri("traces/a b.jsonl") == ("traces/a%20b.jsonl", True)
    assert file_uri("/srv/t.jsonl") == ("file:///srv/t.jsonl", False)
    assert file_uri("C:/t/x.jsonl") == ("file:///C:/t/x.jsonl", False)
