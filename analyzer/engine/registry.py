"""Loads rule definitions from the top-level `rules/` folder (shipped in the wheel as
`analyzer.builtin_rules`): one TOML file per rule with code, name, severity, doc and query."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources

from analyzer.errors import UsageError

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: str
    summary: str
    doc: str
    query: str
    options: dict = field(default_factory=dict)


def load_rules() -> list[Rule]:
    """Every shipped rule, sorted by code."""
    rules = []
    for entry in resources.files("analyzer.builtin_rules").iterdir():
        if not entry.name.endswith(".toml"):
            continue
        data = tomllib.loads(entry.read_text())
        rule = Rule(
            code=data["code"], name=data["name"], severity=data["severity"], summary=data["summary"],
            doc=data["doc"], query=data["query"], options=data.get("options", {}),
        )
        if rule.severity not in SEVERITIES:
            raise UsageError(f"Rule {rule.code} has unknown severity {rule.severity!r}")
        rules.append(rule)
    return sorted(rules, key=lambda r: r.code)


def select(rules: list[Rule], select: list[str] | None, ignore: list[str] | None) -> list[Rule]:
    """ruff-style prefix selection: `SEAM0` selects SEAM001-SEAM009, `--ignore` wins."""
    chosen = [r for r in rules if not select or any(r.code.startswith(p) for p in select)]
    return [r for r in chosen if not ignore or not any(r.code.startswith(p) for p in ignore)]
