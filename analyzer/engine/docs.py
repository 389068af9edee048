"""Generates docs/rules.md from the rule files: `python -m analyzer.engine.docs` rewrites it,
`--check` exits 1 when it is out of date (a test keeps it in sync)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analyzer.engine.registry import Rule, load_rules

DOCS_FILE = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
HEADER = """# Rules

<!-- Generated from rules/*.toml by `python -m analyzer.engine.docs`; do not edit by hand. -->

Every rule has a stable code and name, a default severity and a group: `stable`, or
`preview` while its behaviour may still change. Every rule runs unless deselected with
`--select`/`--ignore` or in the configuration ([configuration.md](configuration.md)).
`seamscan rules` lists them and `seamscan explain CODE` prints one rule's documentation.
Options are set per rule under `[tool.seamscan.rules.CODE]`.
"""


def render(rules: list[Rule]) -> str:
    """The whole docs/rules.md text for `rules`."""
    lines = [HEADER]
    if rules:
        lines.append("| code | name | severity | group | summary |\n|---|---|---|---|---|")
        lines.extend(f"| [{r.code}](#{_anchor(r)}) | `{r.name}` | {r.severity} | {r.group} | {_cell(r.summary)} |"
                     for r in rules)
        lines.append("")
    else:
        lines.append("No rules are shipped yet.\n")
    for rule in rules:
        lines.append(f"## {rule.code} {rule.name}\n")
        facts = f"Default severity **{rule.severity}**, group **{rule.group}**"
        if rule.cross_layer:
            facts += ", cross-layer (every finding carries evidence from at least two layers)"
        lines.append(f"{facts}. {rule.summary}\n")
        lines.append(rule.doc_markdown(level=3))
        if rule.options:
            lines.append(f"### Options\n\nUnder `[tool.seamscan.rules.{rule.code}]`:\n")
            lines.append("| option | default | meaning |\n|---|---|---|")
            lines.extend(f"| `{o.name}` | `{o.default_toml()}` | {_cell(o.help)} |" for o in rule.options.values())
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _anchor(rule: Rule) -> str:
    return f"{rule.code}-{rule.name}".lower()


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date, write nothing")
    parser.add_argument("--output", type=Path, default=DOCS_FILE, help="default: docs/rules.md")
    args = parser.parse_args(argv)
    text = render(load_rules())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run `python -m analyzer.engine.docs`", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
