"""Options shared by several commands (one definition each)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


class ReportFormat(str, Enum):
    """`check --format`: one emitter each (analyzer.report.formats)."""

    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    github = "github"


class Severity(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"


Paths = Annotated[list[Path], typer.Argument(help="Trace and log files or directories (walked recursively).", show_default=False)]
OptionalPaths = Annotated[Optional[list[Path]], typer.Argument(help="Trace and log files or directories (walked recursively).", show_default=False)]
DbOption = Annotated[Optional[Path], typer.Option("--db", help="DuckDB store file (default: in memory).")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary (errors still go to stderr).")]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="Also list each file read, its format and record count.")]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Report format.")]
FailOnOption = Annotated[
    Optional[Severity],
    typer.Option("--fail-on", help="Exit 1 on findings at or above this severity [default: warning, or `fail-on` in the configuration].",
                 show_default=False),
]
ExitZeroOption = Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when findings trip --fail-on.")]
AllowBadInputOption = Annotated[bool, typer.Option("--allow-bad-input", help="Do not exit 3 on unreadable input; report it and go on.")]
DebugOption = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]
HarnessMappingOption = Annotated[
    Optional[list[Path]],
    typer.Option("--harness-mapping", help="TOML mapping for another JSON Lines harness log (repeatable)."),
]
ReportFormatOption = Annotated[ReportFormat, typer.Option("--format", "-f", help="Report format.")]
OutputOption = Annotated[Optional[Path], typer.Option("--output", "-o", metavar="FILE", help="Write the report to FILE instead of stdout.")]
SelectOption = Annotated[
    Optional[list[str]],
    typer.Option("--select", metavar="CODES", help="Only these rule codes or prefixes (comma-separated or repeated; replaces `select`)."),
]
IgnoreOption = Annotated[
    Optional[list[str]],
    typer.Option("--ignore", metavar="CODES", help="Skip these rule codes or prefixes (comma-separated or repeated; wins over --select)."),
]
ConfigOption = Annotated[
    Optional[Path],
    typer.Option("--config", metavar="FILE", help="Configuration file (default: seamscan.toml or pyproject.toml [tool.seamscan], "
                 "nearest to the cwd, then beside the input)."),
]
BaselineOption = Annotated[
    Optional[Path], typer.Option("--baseline", metavar="FILE", help="Accepted findings (a file --write-baseline wrote): only new ones fail.")
]
WriteBaselineOption = Annotated[
    Optional[Path], typer.Option("--write-baseline", metavar="FILE", help="Record every current finding as accepted in FILE.")
]
