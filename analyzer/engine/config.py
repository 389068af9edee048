"""`[tool.seamscan]` configuration (SPEC 7): found nearest to the cwd, then beside the input;
validated against the rules' declared options; command-line flags win over it."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from analyzer.engine.registry import SEVERITIES, Rule
from analyzer.errors import UsageError

CONFIG_NAMES = ("seamscan.toml", "pyproject.toml")  # in one folder, seamscan.toml wins
KEYS = ("select", "ignore", "fail-on", "rules", "harness-mappings", "side-effecting-tools")
# `side-effecting-tools` is a shorthand for this rule option (a list of tool-name globs).
SIDE_EFFECTING = ("SEAM006", "side_effecting_globs")


@dataclass(frozen=True)
class Config:
    """Effective settings: what the file said, then what the command line overrode."""

    path: Path | None = None
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    fail_on: str = "warning"
    rule_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    harness_mappings: list[Path] = field(default_factory=list)

    def with_cli(self, rules: list[Rule], select: list[str] | None = None, ignore: list[str] | None = None,
                 fail_on: str | None = None, harness_mappings: list[Path] | None = None) -> Config:
        """These settings with every flag that was given replacing its configured value."""
        changes: dict[str, Any] = {}
        if select:
            changes["select"] = check_selectors(split_codes(select), rules, "--select")
        if ignore:
            changes["ignore"] = check_selectors(split_codes(ignore), rules, "--ignore")
        if fail_on:
            changes["fail_on"] = fail_on
        if harness_mappings:
            changes["harness_mappings"] = list(harness_mappings)
        return replace(self, **changes)


def settings_for(rules: list[Rule], paths: list[Path] | None, config: Path | None = None,
                 **cli: Any) -> Config:
    """The effective settings of a command: `config` (--config) or the file found from the cwd,
    then beside `paths`; then the flags in `cli` (select, ignore, fail_on, harness_mappings)."""
    if config is not None and not config.is_file():
        raise UsageError(f"Configuration file {str(config)!r} does not exist")
    path = config or find_config([Path.cwd(), *input_dirs(paths)])
    return load_config(path, rules).with_cli(rules, **cli)


def find_config(start_dirs: list[Path]) -> Path | None:
    """The first `seamscan.toml`, or `pyproject.toml` with a `[tool.seamscan]` table, walking up
    from each start folder in turn (the cwd first, then the input directories)."""
    for start in start_dirs:
        start = start.resolve()
        for folder in (start, *start.parents):
            for name in CONFIG_NAMES:
                candidate = folder / name
                if candidate.is_file() and (name == "seamscan.toml" or _has_seamscan_table(candidate)):
                    return candidate
    return None


def input_dirs(paths: list[Path] | None) -> list[Path]:
    """The folders configuration is looked for beside: each PATH, or the folder of a file PATH."""
    return [p if p.is_dir() else p.parent for p in paths or [] if p.exists()]


def load_config(path: Path | None, rules: list[Rule]) -> Config:
    """Settings from `path` (defaults when None), each key validated; errors name file and key."""
    if path is None:
        return Config()
    table, prefix = _seamscan_table(path)
    known = {r.code: r for r in rules}
    where = str(path)
    for key in table:
        if key not in KEYS:
            raise UsageError(f"{where}: unknown key `{prefix}{key}`", hint="known keys: " + ", ".join(KEYS))
    config = Config(path=path)
    if "select" in table:
        config = replace(config, select=check_selectors(_strings(table["select"], f"{where}: `{prefix}select`"),
                                                        rules, f"{where}: `{prefix}select`"))
    if "ignore" in table:
        config = replace(config, ignore=check_selectors(_strings(table["ignore"], f"{where}: `{prefix}ignore`"),
                                                        rules, f"{where}: `{prefix}ignore`"))
    if "fail-on" in table:
        if table["fail-on"] not in SEVERITIES:
            raise UsageError(f"{where}: `{prefix}fail-on` must be one of {', '.join(SEVERITIES)}, "
                             f"not {table['fail-on']!r}")
        config = replace(config, fail_on=table["fail-on"])
    rule_options: dict[str, dict[str, Any]] = {}
    rule_tables = table.get("rules", {})
    if not isinstance(rule_tables, dict):
        raise UsageError(f"{where}: `{prefix}rules` must be a table of rule codes")
    for code, values in rule_tables.items():
        key = f"{prefix}rules.{code}"
        if code not in known:
            raise UsageError(f"{where}: `{key}` names an unknown rule code",
                             hint="`seamscan rules` lists the codes")
        if not isinstance(values, dict):
            raise UsageError(f"{where}: `{key}` must be a table of the rule's options")
        rule_options[code] = {name: _option_value(known[code], name, value, where, f"{key}.{name}")
                              for name, value in values.items()}
    if "side-effecting-tools" in table:
        key = f"{prefix}side-effecting-tools"
        globs = _strings(table["side-effecting-tools"], f"{where}: `{key}`")
        code, option = SIDE_EFFECTING
        if option in rule_options.get(code, {}):
            raise UsageError(f"{where}: `{key}` and `{prefix}rules.{code}.{option}` set the same option",
                             hint="keep one of them")
        if code in known:
            globs = _option_value(known[code], option, globs, where, key)
        rule_options.setdefault(code, {})[option] = globs
    config = replace(config, rule_options=rule_options)
    if "harness-mappings" in table:
        key = f"{prefix}harness-mappings"
        mappings = [path.parent / m for m in _strings(table["harness-mappings"], f"{where}: `{key}`")]
        for mapping in mappings:
            if not mapping.is_file():
                raise UsageError(f"{where}: `{key}` names {str(mapping)!r}, which does not exist",
                                 hint="paths are relative to the configuration file")
        config = replace(config, harness_mappings=mappings)
    return config


def split_codes(values: list[str]) -> list[str]:
    """`--select SEAM001,SEAM002 --select SEAM01` → each code or prefix once, upper-cased."""
    codes: list[str] = []
    for value in values:
        for part in value.split(","):
            part = part.strip().upper()
            if part and part not in codes:
                codes.append(part)
    return codes


def check_selectors(selectors: list[str], rules: list[Rule], where: str) -> list[str]:
    """`selectors` upper-cased, each a code or a prefix of at least one known rule code."""
    for selector in selectors:
        if not any(r.code.startswith(selector.upper()) for r in rules):
            raise UsageError(f"{where}: {selector!r} matches no rule code", hint="`seamscan rules` lists the codes")
    return [s.upper() for s in selectors]


def _has_seamscan_table(pyproject: Path) -> bool:
    return "seamscan" in _read_toml(pyproject).get("tool", {})


def _seamscan_table(path: Path) -> tuple[dict[str, Any], str]:
    """The settings table and the dotted prefix its keys are named with in errors."""
    data = _read_toml(path)
    tool = data.get("tool", {})
    if isinstance(tool, dict) and "seamscan" in tool:
        table = tool["seamscan"]
        if not isinstance(table, dict):
            raise UsageError(f"{path}: `tool.seamscan` must be a table")
        return table, "tool.seamscan."
    if path.name == "pyproject.toml":
        return {}, "tool.seamscan."
    return data, ""


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"Configuration file {str(path)!r} cannot be read: {exc}") from exc


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{where} must be a list of strings, not {value!r}")
    return list(value)


def _option_value(rule: Rule, name: str, value: Any, where: str, key: str) -> Any:
    """`value` when it fits the type of the option's default (an int is fine for a float)."""
    if name not in rule.options:
        raise UsageError(f"{where}: `{key}` is not an option of {rule.code} {rule.name}",
                         hint="options: " + (", ".join(rule.options) or "none") + f" (`seamscan explain {rule.code}`)")
    default = rule.options[name].default
    expected = _type_name(default)
    if isinstance(default, bool) or isinstance(value, bool):
        ok = isinstance(value, bool) and isinstance(default, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float))
        value = float(value) if ok else value
    elif isinstance(default, list):
        ok = isinstance(value, list) and (not default or all(type(v) is type(default[0]) for v in value))
        if default:
            expected = f"a list of {_type_name(default[0]).split(' ', 1)[1]}s"
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise UsageError(f"{where}: `{key}` must be {expected}, not {_type_name(value)} {value!r}")
    return value


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)
