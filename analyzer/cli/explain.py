"""`seamscan explain CODE`: one rule's documentation, rendered, with its options and defaults."""

from __future__ import annotations

from typing import Annotated

import typer

from analyzer.errors import UsageError


def explain_command(
    code: Annotated[str, typer.Argument(help="Rule code (SEAM002) or name (timeout-race).", show_default=False)],
) -> None:
    """Show a rule's documentation: what it does, why it is bad, an example, how to fix; its options."""
    from rich.markdown import Markdown
    from rich.table import Table
    from rich.text import Text

    from analyzer.engine.registry import load_rules
    from analyzer.report import SEVERITY_STYLE
    from analyzer.report.safe import stdout_console

    rules = load_rules()
    wanted = code.strip()
    rule = next((r for r in rules if wanted.upper() == r.code or wanted.lower() == r.name), None)
    if rule is None:
        raise UsageError(f"Rule {wanted!r} does not exist",
                         hint="known rules: " + (", ".join(r.code for r in rules) or "none"))
    console = stdout_console(100)
    heading = Text(f"{rule.code} {rule.name}", style="bold")
    heading.append(f"  {rule.severity}", style=SEVERITY_STYLE[rule.severity])
    heading.append(f" · {rule.group}" + (" · cross-layer" if rule.cross_layer else ""))
    console.print(heading)
    console.print(Text(rule.summary))
    console.print(Markdown(rule.doc_markdown()))
    if rule.options:
        table = Table(title=f"Options ([tool.seamscan.rules.{rule.code}])", title_justify="left")
        for column in ("option", "default", "help"):
            table.add_column(column)
        for option in rule.options.values():
            table.add_row(option.name, option.default_toml(), option.help)
        console.print(table)
    else:
        console.print(Text("No options."))

