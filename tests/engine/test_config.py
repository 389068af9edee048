"""Configuration: discovery (seamscan.toml / pyproject.toml, cwd first), validation against the
rules' declared options (errors name the file and key), and the command line winning."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.engine.config import Config, find_config, input_dirs, load_config, split_codes
from analyzer.engine.registry import parse_rule
from analyzer.errors import UsageError

RULE = """code = "{code}"
name = "{name}"
severity = "error"
summary = "s"
query = "SELECT 1"
[options.share]
default = 0.01
help = "h"
[options.min_runs]
default = 50
help = "h"
[options.strict]
default = false
help = "h"
[options.side_effecting_globs]
default = ["create*", "pay*"]
help = "h"
[doc]
what = "w"
"""
RULES = [parse_rule(RULE.format(code=code, name=name), f"{code}.toml")
         for code, name in (("SEAM005", "tail-latency-budget"), ("SEAM006", "non-idempotent-retry"),
                            ("SEAM010", "clock-disagreement"))]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_no_file_gives_defaults():
    config = load_config(None, RULES)
    assert config == Config() and config.fail_on == "warning" and config.select is None


def test_seamscan_toml_beats_pyproject_in_the_same_folder_and_cwd_beats_input(tmp_path):
    write(tmp_path / "project" / "pyproject.toml", "[tool.seamscan]\nfail-on = 'error'\n")
    own = write(tmp_path / "project" / "seamscan.toml", "fail-on = 'info'\n")
    beside_input = write(tmp_path / "traces" / "seamscan.toml", "fail-on = 'error'\n")
    nested = tmp_path / "project" / "sub" / "dir"
    nested.mkdir(parents=True)
    assert find_config([nested, tmp_path / "traces"]) == own
    assert find_config([tmp_path, tmp_path / "traces"]) == beside_input


def test_a_pyproject_without_the_table_is_passed_over(tmp_path):
    write(tmp_path / "repo" / "pyproject.toml", "[project]\nname = 'x'\n")
    outer = write(tmp_path / "pyproject.toml", "[tool.seamscan]\nselect = ['SEAM00']\n")
    assert find_config([tmp_path / "repo"]) == outer
    assert load_config(outer, RULES).select == ["SEAM00"]


def test_input_dirs_are_the_paths_or_their_folders(tmp_path):
    trace = write(tmp_path / "t" / "a.jsonl", "{}\n")
    assert input_dirs([trace, tmp_path, tmp_path / "missing"]) == [tmp_path / "t", tmp_path]


def test_every_key_is_read(tmp_path):
    write(tmp_path / "maps" / "gw.toml", "")
    path = write(tmp_path / "seamscan.toml", """
select = ["seam0"]
ignore = ["SEAM010"]
fail-on = "error"
harness-mappings = ["maps/gw.toml"]
side-effecting-tools = ["charge_*", "send_email"]
[rules.SEAM005]
share = 2
min_runs = 20
""")
    config = load_config(path, RULES)
    assert config.select == ["SEAM0"] and config.ignore == ["SEAM010"] and config.fail_on == "error"
    assert config.harness_mappings == [tmp_path / "maps" / "gw.toml"]
    assert config.rule_options == {
        "SEAM005": {"share": 2.0, "min_runs": 20},
        "SEAM006": {"side_effecting_globs": ["charge_*", "send_email"]},
    }
    assert isinstance(config.rule_options["SEAM005"]["share"], float)


def test_pyproject_table_and_seamscan_toml_tool_table_read_alike(tmp_path):
    text = "[tool.seamscan]\nfail-on = 'info'\n[tool.seamscan.rules.SEAM010]\nstrict = true\n"
    for name in ("pyproject.toml", "seamscan.toml"):
        config = load_config(write(tmp_path / name, text), RULES)
        assert config.fail_on == "info" and config.rule_options == {"SEAM010": {"strict": True}}


@pytest.mark.parametrize(("text", "key", "problem"), [
    ("[tool.seamscan]\nselct = ['SEAM0']\n", "tool.seamscan.selct", "unknown key"),
    ("[tool.seamscan.rules.SEAM999]\nshare = 0.1\n", "tool.seamscan.rules.SEAM999", "unknown rule code"),
    ("[tool.seamscan.rules.SEAM005]\nshares = 0.1\n", "tool.seamscan.rules.SEAM005.shares", "is not an option"),
    ("[tool.seamscan.rules.SEAM005]\nshare = '1%'\n", "tool.seamscan.rules.SEAM005.share", "must be a number"),
    ("[tool.seamscan.rules.SEAM005]\nmin_runs = 2.5\n", "tool.seamscan.rules.SEAM005.min_runs", "must be an integer"),
    ("[tool.seamscan.rules.SEAM005]\nmin_runs = true\n", "tool.seamscan.rules.SEAM005.min_runs", "must be an integer"),
    ("[tool.seamscan.rules.SEAM010]\nstrict = 1\n", "tool.seamscan.rules.SEAM010.strict", "must be a boolean"),
    ("[tool.seamscan.rules.SEAM006]\nside_effecting_globs = [1]\n", "tool.seamscan.rules.SEAM006.side_effecting_globs",
     "must be a list of strings"),
    ("[tool.seamscan]\nside-effecting-tools = 'pay*'\n", "tool.seamscan.side-effecting-tools", "list of strings"),
    ("[tool.seamscan]\nfail-on = 'fatal'\n", "tool.seamscan.fail-on", "must be one of"),
    ("[tool.seamscan]\nselect = ['SEAM9']\n", "tool.seamscan.select", "matches no rule"),
    ("[tool.seamscan]\nignore = 'SEAM005'\n", "tool.seamscan.ignore", "list of strings"),
    ("[tool.seamscan]\nharness-mappings = ['nope.toml']\n", "tool.seamscan.harness-mappings", "does not exist"),
    ("[tool.seamscan]\nrules = 3\n", "tool.seamscan.rules", "table"),
])
def test_a_bad_configuration_names_the_file_and_the_key(tmp_path, text, key, problem):
    path = write(tmp_path / "pyproject.toml", text)
    with pytest.raises(UsageError) as error:
        load_config(path, RULES)
    assert str(path) in error.value.message and f"`{key}`" in error.value.message
    assert problem in error.value.message
    assert error.value.exit_code == 2


def test_side_effecting_tools_and_the_rule_option_together_is_an_error(tmp_path):
    path = write(tmp_path / "seamscan.toml",
                 "side-effecting-tools = ['a*']\n[rules.SEAM006]\nside_effecting_globs = ['b*']\n")
    with pytest.raises(UsageError, match="set the same option"):
        load_config(path, RULES)


def test_malformed_toml_names_the_file(tmp_path):
    path = write(tmp_path / "seamscan.toml", "select = [\n")
    with pytest.raises(UsageError, match="seamscan.toml"):
        load_config(path, RULES)


def test_the_command_line_wins(tmp_path):
    write(tmp_path / "a.toml", "")
    path = write(tmp_path / "seamscan.toml", "select = ['SEAM005']\nfail-on = 'error'\nharness-mappings = ['a.toml']\n")
    config = load_config(path, RULES).with_cli(RULES, select=["seam006,SEAM010"], ignore=["SEAM01"], fail_on="info",
                                               harness_mappings=[Path("cli.toml")])
    assert config.select == ["SEAM006", "SEAM010"] and config.ignore == ["SEAM01"]
    assert config.fail_on == "info" and config.harness_mappings == [Path("cli.toml")]
    untouched = load_config(path, RULES).with_cli(RULES)
    assert untouched.select == ["SEAM005"] and untouched.fail_on == "error"


def test_an_unknown_code_on_the_command_line_is_an_error():
    with pytest.raises(UsageError, match="--select: 'SEAM7' matches no rule"):
        Config().with_cli(RULES, select=["SEAM7"])


def test_split_codes():
    assert split_codes(["seam001, SEAM002", "SEAM001", ""]) == ["SEAM001", "SEAM002"]


def test_side_effecting_tools_feeds_the_shipped_rule_option(tmp_path):
    """`side-effecting-tools` and SEAM006's `side_effecting_globs` are coordinated by name."""
    from analyzer.engine.config import SIDE_EFFECTING
    from analyzer.engine.registry import load_rules

    shipped = {rule.code: rule for rule in load_rules()}
    code, option = SIDE_EFFECTING
    if code not in shipped:
        pytest.skip(f"{code} is not shipped yet")
    assert isinstance(shipped[code].options[option].default, list)
    path = write(tmp_path / "seamscan.toml", "side-effecting-tools = ['wire_money']\n")
    assert load_config(path, list(shipped.values())).rule_options == {code: {option: ["wire_money"]}}
