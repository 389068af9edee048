"""Loads rule definitions from the top-level `rules/` folder (shipped in the wheel as
`analyzer.builtin_rules`): one TOML file per rule with metadata, documentation, options and SQL.

A rule file (see rules/README.md for the full contract):

    code = "SEAM002"
    name = "timeout-race"
    severity = "error"            # error | warning | info
    group = "stable"              # stable | preview
    summary = "one line"
    cross_layer = true            # findings must carry evidence from >= 2 layers
    message = "... {subject} ... {late_s:.1f} s"   # optional: str.format over the query's columns
    query = '''SELECT ...'''      # SQL over the SPEC 3 views only (top-level keys before tables)
    [options.NAME]                # each option: a default and a help line; `$NAME` in the query
    default = 60.0
    help = "..."
    [doc]                         # what / why / example / fix (markdown)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from analyzer.errors import UsageError

SEVERITIES = ("error", "warning", "info")
GROUPS = ("stable", "preview")
DOC_SECTIONS = (("what", "What it does"), ("why", "Why is this bad?"), ("example", "Example"), ("fix", "How to fix"))


@dataclass(frozen=True)
class RuleOption:
    name: str
    default: Any
    help: str

    def default_toml(self) -> str:
        """The default as it is written in a TOML configuration file."""
        import json

        return str(self.default).lower() if isinstance(self.default, bool) else json.dumps(self.default)


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: str
    summary: str
    doc: dict[str, str]
    query: str
    group: str = "stable"
    cross_layer: bool = False
    message: str | None = None
    options: dict[str, RuleOption] = field(default_factory=dict)
    path: str = ""

    def doc_markdown(self, level: int = 2) -> str:
        """The documentation as markdown, one section each with a heading of `level`
        (explain, SARIF, docs/rules.md)."""
        parts = []
        for key, title in DOC_SECTIONS:
            if self.doc.get(key):
                parts.append(f"{'#' * level} {title}\n\n{self.doc[key].strip()}\n")
        return "\n".join(parts)

    def option_defaults(self) -> dict[str, Any]:
        return {name: option.default for name, option in self.options.items()}


def parse_rule(text: str, origin: str) -> Rule:
    """One rule from TOML text; `origin` names the file in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"Rule file {origin}: {exc}") from exc
    missing = [k for k in ("code", "name", "severity", "summary", "doc", "query") if k not in data]
    if missing:
        raise UsageError(f"Rule file {origin}: missing {', '.join(missing)}")
    if data["severity"] not in SEVERITIES:
        raise UsageError(f"Rule {data['code']} ({origin}) has unknown severity {data['severity']!r}")
    group = data.get("group", "stable")
    if group not in GROUPS:
        raise UsageError(f"Rule {data['code']} ({origin}) has unknown group {group!r}")
    options = {}
    for name, spec in data.get("options", {}).items():
        if not isinstance(spec, dict) or "default" not in spec:
            raise UsageError(f"Rule {data['code']} ({origin}): option {name!r} needs a `default`")
        options[name] = RuleOption(name, spec["default"], spec.get("help", ""))
    return Rule(
        code=data["code"], name=data["name"], severity=data["severity"], summary=data["summary"],
        doc=dict(data["doc"]), query=data["query"], group=group, cross_layer=bool(data.get("cross_layer", False)),
        message=data.get("message"), options=options, path=origin,
    )


def load_rules(folder: Path | None = None) -> list[Rule]:
    """Every shipped rule (or every rule in `folder`), sorted by code."""
    entries = folder.iterdir() if folder else resources.files("analyzer.builtin_rules").iterdir()
    rules = [parse_rule(e.read_text(), f"rules/{e.name}") for e in entries if e.name.endswith(".toml")]
    return sorted(rules, key=lambda r: r.code)


def select(rules: list[Rule], select: list[str] | None, ignore: list[str] | None) -> list[Rule]:
    """ruff-style prefix selection: `SEAM0` selects SEAM001-SEAM009, `--ignore` wins."""
    chosen = [r for r in rules if not select or any(r.code.startswith(p) for p in select)]
    return [r for r in chosen if not ignore or not any(r.code.startswith(p) for p in ignore)]
