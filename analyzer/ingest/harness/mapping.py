"""Read another JSON Lines harness log through a TOML mapping (SPEC 2.3; docs/harness-mapping.md).

A mapping says how its files are recognised, which field (a dotted path with list indexes)
holds each canonical field, how to read the timestamp, and how the log's event names map onto
the vocabulary. Each line is turned into a canonical event and handed to the same row builder
as the canonical reader (`harness.emit_event`), so validation and columns are identical.

    mapping = load_mapping(Path("gateway-mapping.toml"))
    ingest(paths, store, extra_ingesters=[mapping])
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

import orjson

from analyzer.errors import UsageError
from analyzer.ingest.base import json_lines
from analyzer.ingest.harness.canonical import (
    CANONICAL_FIELDS,
    SOURCE_KIND,
    VOCABULARY,
    emit_event,
    mapped_validator,
)
from analyzer.ingest.sink import RecordSink
from analyzer.ingest.source import SourceFile
from analyzer.ingest.normalize.timestamps import iso_to_ns, to_ns

TIME_FORMATS = ("iso", "epoch_s", "epoch_ms", "epoch_us", "epoch_ns", "auto")
STATUSES = ("ok", "error", "timeout", "cancelled")
MAPPABLE_FIELDS = tuple(name for name in CANONICAL_FIELDS if name != "ts")  # ts: [timestamp]
_SECTIONS = {"name", "description", "match", "timestamp", "fields", "defaults", "events", "status"}
_EPOCH_FACTORS = {"epoch_s": 1_000_000_000, "epoch_ms": 1_000_000, "epoch_us": 1_000, "epoch_ns": 1}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# ---------------------------------------------------------------------------------------------
# Field paths: `a.b[0].c`, `items[-1]`, `["key.with.dots"].x`

Step = str | int
_MISSING = object()
_KEY = re.compile(r'[^.\[\]"]+')
_BRACKET = re.compile(r'\[(-?\d+)\]|\["((?:[^"\\]|\\.)*)"\]')


def parse_path(text: str) -> tuple[Step, ...]:
    """Steps of a field path; raises ValueError naming the first bad character."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("a field path must be a non-empty string")
    steps: list[Step] = []
    pos = 0
    while pos < len(text):
        if text[pos] == "[":
            match = _BRACKET.match(text, pos)
            if match is None:
                raise ValueError(f"bad field path {text!r} at character {pos + 1}: expected [N] or [\"key\"]")
            index, quoted = match.groups()
            steps.append(int(index) if index is not None else orjson.loads(f'"{quoted}"'))
        else:
            if steps:
                if text[pos] != ".":
                    raise ValueError(f"bad field path {text!r} at character {pos + 1}: expected '.' or '['")
                pos += 1
            match = _KEY.match(text, pos)
            if match is None:
                raise ValueError(f"bad field path {text!r} at character {pos + 1}: expected a key")
            steps.append(match.group())
        pos = match.end()
    return tuple(steps)


def resolve(obj: Any, steps: tuple[Step, ...]) -> Any:
    """The value at `steps` in `obj`, or `_MISSING`."""
    for step in steps:
        if isinstance(step, int):
            if not isinstance(obj, list) or not -len(obj) <= step < len(obj):
                return _MISSING
            obj = obj[step]
        else:
            if not isinstance(obj, dict) or step not in obj:
                return _MISSING
            obj = obj[step]
    return obj


def format_path(steps: tuple[Step, ...]) -> str:
    out = ""
    for step in steps:
        if isinstance(step, int):
            out += f"[{step}]"
        elif re.fullmatch(r'[^.\[\]"]+', step):
            out += f".{step}" if out else step
        else:
            out += f"[{orjson.dumps(step).decode()}]"
    return out


# ---------------------------------------------------------------------------------------------
# Time readers

def time_reader(fmt: str) -> Callable[[Any], int | None]:
    """ns since the epoch from a value in `fmt` (see TIME_FORMATS, or a strptime format;
    a time without a UTC offset is read as UTC)."""
    if fmt == "auto":
        return to_ns
    if fmt == "iso":
        def read_iso(value: Any) -> int | None:
            if not isinstance(value, str):
                raise ValueError(f"expected ISO 8601 text, got {type(value).__name__}")
            return iso_to_ns(value)
        return read_iso
    if fmt in _EPOCH_FACTORS:
        factor = _EPOCH_FACTORS[fmt]

        def read_epoch(value: Any) -> int | None:
            if isinstance(value, bool):
                raise ValueError("expected an epoch number, got a boolean")
            if isinstance(value, str):
                text = value.strip()
                value = int(text) if text.lstrip("-").isdigit() else float(text)
            if isinstance(value, int):
                return value * factor
            if isinstance(value, float):
                return round(value * factor)
            raise ValueError(f"expected an epoch number, got {type(value).__name__}")
        return read_epoch

    def read_strptime(value: Any) -> int | None:
        if not isinstance(value, str):
            raise ValueError(f"expected text in the format {fmt!r}, got {type(value).__name__}")
        parsed = datetime.strptime(value, fmt)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return (parsed - _EPOCH) // timedelta(microseconds=1) * 1_000
    return read_strptime


# ---------------------------------------------------------------------------------------------
# The mapping

@dataclass
class MappedHarnessIngester:
    """A JSON Lines harness log read through a mapping: a `JsonIngester` for `ingest(...,
    extra_ingesters=[...])`, asked before the built-in ingesters."""

    name: str
    origin: str
    ts_path: tuple[Step, ...]
    time_format: str
    fields: dict[str, tuple[tuple[Step, ...], ...]]  # canonical field -> one path, or several joined by "."
    defaults: dict[str, Any] = field(default_factory=dict)
    events: dict[str, str] = field(default_factory=dict)
    status_values: dict[str, str] = field(default_factory=dict)
    required: tuple[tuple[Step, ...], ...] = ()
    equals: tuple[tuple[tuple[Step, ...], Any], ...] = ()
    scheduled_for_format: str | None = None
    source_kind: str = SOURCE_KIND

    def __post_init__(self) -> None:
        self.source_format = f"harness-mapping:{self.name}"
        self._read_ts = time_reader(self.time_format)
        self._read_scheduled = time_reader(self.scheduled_for_format or self.time_format)
        self._labels = {"ts": f"ts (from {format_path(self.ts_path)})"}
        for canonical, paths in self.fields.items():
            self._labels[canonical] = f"{canonical} (from {' + '.join(format_path(p) for p in paths)})"

    def matches(self, obj: Any) -> bool:
        """Whether one parsed line looks like this log (the `[match]` rules)."""
        if not isinstance(obj, dict):
            return False
        for steps in self.required:
            if resolve(obj, steps) is _MISSING:
                return False
        for steps, expected in self.equals:
            value = resolve(obj, steps)
            if value is _MISSING or value != expected or isinstance(value, bool) != isinstance(expected, bool):
                return False
        return True

    def sniff(self, sample: Any, as_line: bool) -> bool:
        return as_line and self.matches(sample)

    def to_canonical(self, obj: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """(the canonical event for one source line, the line's own event name)."""
        event: dict[str, Any] = {}
        ts = resolve(obj, self.ts_path)
        if ts is not _MISSING:
            event["ts"] = ts
        for canonical, paths in self.fields.items():
            if len(paths) == 1:
                value = resolve(obj, paths[0])
            else:
                parts = [resolve(obj, p) for p in paths]
                parts = [str(p) for p in parts if p is not _MISSING and p is not None]
                value = ".".join(parts) if parts else _MISSING
            if value is not _MISSING and value is not None:
                event[canonical] = value
        for canonical, value in self.defaults.items():
            event.setdefault(canonical, value)
        original = event.get("event")
        if isinstance(original, str):
            event["event"] = self.events.get(original, original)
        status = event.get("status")
        if isinstance(status, (str, int)) and not isinstance(status, bool) and str(status) in self.status_values:
            event["status"] = self.status_values[str(status)]
        return event, original if isinstance(original, str) else None

    def _emit(self, sink: RecordSink, pos: str, obj: Any, clock: str) -> None:
        if not isinstance(obj, dict):
            sink.problem(f"line {pos}" if pos.isdigit() else pos, "not a harness event: expected a JSON object")
            return
        event, original = self.to_canonical(obj)
        emit_event(
            sink, pos, event, default_clock=clock, validator=mapped_validator(),
            parse_time=self._read_ts, parse_scheduled=self._read_scheduled,
            raw=obj, name=original, labels=self._labels,
        )

    def read_lines(self, src: SourceFile, sink: RecordSink) -> None:
        clock = src.path.name
        for number, obj in json_lines(src, sink):
            self._emit(sink, str(number), obj, clock)

    def read_document(self, doc: Any, src: SourceFile, sink: RecordSink) -> None:
        for index, obj in enumerate(doc if isinstance(doc, list) else [doc]):
            self._emit(sink, f"[{index}]", obj, src.path.name)


def load_mapping(path: Path | str) -> MappedHarnessIngester:
    """Read a harness mapping TOML file. Raises UsageError naming the file and the problem."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UsageError(f"Harness mapping {str(path)!r} does not exist",
                         hint="pass the path of a .toml mapping file") from exc
    except OSError as exc:
        raise UsageError(f"Harness mapping {str(path)!r} cannot be read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"Harness mapping {str(path)!r} is not UTF-8 text: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"Harness mapping {str(path)!r} is not valid TOML: {exc}") from exc
    return parse_mapping(data, str(path), default_name=path.stem)


def parse_mapping(data: Mapping[str, Any], origin: str, default_name: str = "mapping") -> MappedHarnessIngester:
    """A mapping from already-parsed TOML (e.g. a table of `[tool.seamscan]`); `origin` names
    it in error messages."""
    def fail(problem: str, hint: str | None = None) -> UsageError:
        return UsageError(f"Harness mapping {origin!r}: {problem}", hint=hint)

    if not isinstance(data, Mapping):
        raise fail("expected a table")
    unknown = sorted(set(data) - _SECTIONS)
    if unknown:
        raise fail(f"unknown key {unknown[0]!r}", hint="known keys: " + ", ".join(sorted(_SECTIONS)))

    def table(name: str) -> dict[str, Any]:
        value = data.get(name, {})
        if not isinstance(value, Mapping):
            raise fail(f"[{name}] must be a table")
        return dict(value)

    def path_of(text: Any, where: str) -> tuple[Step, ...]:
        try:
            return parse_path(text)
        except ValueError as exc:
            raise fail(f"{where}: {exc}",
                       hint='paths are dotted keys with list indexes, e.g. "call.args[0].id" or \'["a.b"].c\'') from exc

    name = data.get("name", default_name)
    if not isinstance(name, str) or not name:
        raise fail("name must be a non-empty string")

    ts_table = table("timestamp")
    unknown = sorted(set(ts_table) - {"field", "format", "scheduled_for_format"})
    if unknown:
        raise fail(f"[timestamp] has an unknown key {unknown[0]!r}", hint="known keys: field, format, scheduled_for_format")
    if "field" not in ts_table:
        raise fail("[timestamp] needs `field`, the path of the event time", hint='e.g. [timestamp] field = "time"')
    ts_path = path_of(ts_table["field"], "[timestamp] field")
    formats = {}
    for key in ("format", "scheduled_for_format"):
        fmt = ts_table.get(key, "auto" if key == "format" else None)
        if fmt is None:
            continue
        if not isinstance(fmt, str) or (fmt not in TIME_FORMATS and "%" not in fmt):
            raise fail(f"[timestamp] {key} {fmt!r} is not a time format",
                       hint="use one of " + ", ".join(TIME_FORMATS) + ", or a strptime format such as '%Y-%m-%d %H:%M:%S%z'")
        formats[key] = fmt

    fields: dict[str, tuple[tuple[Step, ...], ...]] = {}
    for canonical, spec in table("fields").items():
        if canonical == "ts":
            raise fail("[fields] cannot map `ts`", hint="the event time is [timestamp] field")
        if canonical not in MAPPABLE_FIELDS:
            raise fail(f"[fields] has an unknown canonical field {canonical!r}",
                       hint="canonical fields: " + ", ".join(MAPPABLE_FIELDS))
        specs = spec if isinstance(spec, list) else [spec]
        if not specs or (len(specs) > 1 and canonical != "event"):
            raise fail(f"[fields] {canonical}: expected a path" + (" or a list of paths" if canonical == "event" else ""))
        fields[canonical] = tuple(path_of(s, f"[fields] {canonical}") for s in specs)

    defaults = table("defaults")
    for canonical in defaults:
        if canonical not in MAPPABLE_FIELDS:
            raise fail(f"[defaults] has an unknown canonical field {canonical!r}",
                       hint="canonical fields: " + ", ".join(MAPPABLE_FIELDS))
    if "event" not in fields and "event" not in defaults:
        raise fail("no event field: set [fields] event (or [defaults] event)",
                   hint='e.g. [fields] event = "type"')

    events = _flatten(table("events"))
    for source_name, target in events.items():
        if target not in VOCABULARY:
            raise fail(f"[events] maps {source_name!r} to {target!r}, which is not in the vocabulary",
                       hint="vocabulary: " + ", ".join(VOCABULARY))
    status_values = _flatten(table("status"))
    for source_value, target in status_values.items():
        if target not in STATUSES:
            raise fail(f"[status] maps {source_value!r} to {target!r}", hint="statuses: " + ", ".join(STATUSES))

    match = table("match")
    unknown = sorted(set(match) - {"required", "equals"})
    if unknown:
        raise fail(f"[match] has an unknown key {unknown[0]!r}", hint="known keys: required, equals")
    required_specs = match.get("required")
    if required_specs is None:
        required = (ts_path, *fields.get("event", ()))
    elif isinstance(required_specs, list):
        required = tuple(path_of(s, "[match] required") for s in required_specs)
    else:
        raise fail("[match] required must be a list of paths")
    equals_table = match.get("equals", {})
    if not isinstance(equals_table, Mapping):
        raise fail("[match] equals must be a table of path = value")
    equals = tuple((path_of(key, "[match] equals"), value) for key, value in _flatten(equals_table).items())
    if not required and not equals:
        raise fail("[match] would accept every JSON Lines file", hint="name at least one required path or equals value")

    return MappedHarnessIngester(
        name=name, origin=origin, ts_path=ts_path, time_format=formats["format"], fields=fields,
        defaults=defaults, events=events, status_values=status_values, required=required,
        equals=equals, scheduled_for_format=formats.get("scheduled_for_format"),
    )


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """TOML reads an unquoted `call.start = "x"` as nested tables; put the dots back."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        full = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            out.update(_flatten(value, full))
        else:
            out[full] = value
    return out
