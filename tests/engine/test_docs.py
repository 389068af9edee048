"""The project documents itself: docs/rules.md is generated from the rule files and kept in
sync, and the README points only inside the project."""

from __future__ import annotations

import re

from analyzer.engine import docs
from analyzer.engine.registry import load_rules
from tests.conftest import ROOT


def test_rules_md_is_in_sync_with_the_rule_files():
    assert docs.DOCS_FILE.read_text(encoding="utf-8") == docs.render(load_rules()), (
        "docs/rules.md is out of date: run `python -m analyzer.engine.docs`")


def test_rules_md_documents_every_rule_and_option():
    text = docs.DOCS_FILE.read_text(encoding="utf-8")
    for rule in load_rules():
        assert f"## {rule.code} {rule.name}" in text
        for option in rule.options:
            assert f"| `{option}` |" in text


def test_check_mode_reports_a_stale_file(tmp_path):
    stale = tmp_path / "rules.md"
    stale.write_text("# Rules\n")
    assert docs.main(["--check", "--output", str(stale)]) == 1
    assert docs.main(["--output", str(stale)]) == 0
    assert docs.main(["--check", "--output", str(stale)]) == 0


def test_readme_links_stay_inside_the_project():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "../shared" not in readme and "shared folder" not in readme
    for target in re.findall(r"\]\(([^)#]+)", readme):
        if "://" not in target:
            assert (ROOT / target).exists(), target
    for name in ("docs/rules.md", "docs/report.md", "docs/configuration.md"):
        assert f"({name})" in readme
