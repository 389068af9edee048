"""seamscan's canonical harness log (SPEC 2.3): JSON Lines, one event per line.

Each line is checked against the shipped JSON Schema (`analyzer/schemas/harness.schema.json`)
and becomes one `harness` record. A line that breaks the schema is reported with its line
number and the failing fields, and is still kept, flagged `schema_invalid` (SPEC 10).
`emit_event` builds the row of every harness-family reader: the mapped logs
(`harness_mapping`), OpenHands and Anthropic session recordings turn their lines into
canonical events and hand them to it."""

from __future__ import annotations

import copy
import functools
import json
import re
from importlib import resources
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import orjson

from analyzer.ingest.base import json_lines
from analyzer.ingest.otlp.records import normalize_id
from analyzer.ingest.normalize.semconv import json_text
from analyzer.ingest.sink import RecordSink
from analyzer.ingest.source import SourceFile
from analyzer.ingest.normalize.timestamps import to_ns
from analyzer.store.schema import COLUMN_INDEX as I

if TYPE_CHECKING:
    import jsonschema

SOURCE_KIND = "harness"
LAYER = "harness"
SESSION_RANK = 3  # SPEC 3: the harness session_id ranks after gen_ai.conversation.id and session.id

VOCABULARY: tuple[str, ...] = (
    "session.open", "session.close", "step.start", "step.end",
    "model.request", "model.response", "tool.dispatch", "tool.result", "tool.timeout",
    "tool.retry", "tool.cancel", "job.submitted", "job.poll", "job.completed",
    "callback.received", "context.truncate", "approval.request", "approval.grant",
    "approval.timeout", "wait.start", "wait.end", "schedule.fire", "state.read", "state.write",
    "response.forward",
)
EVENTS = frozenset(VOCABULARY)

# SPEC 2.3 `status`: a call's outcome; on job events also the job's own state. Any other
# value is kept and the record flagged `unknown_status`, never an input error.
CALL_STATUSES = frozenset({"ok", "error", "timeout", "cancelled"})
JOB_STATES = frozenset({"pending", "queued", "accepted", "running", "succeeded", "completed", "failed"})
JOB_EVENTS = frozenset({"job.submitted", "job.poll", "job.completed", "callback.received"})

# The canonical fields of SPEC 2.3 (everything else on a line is the `extra` map).
CANONICAL_FIELDS: tuple[str, ...] = (
    "ts", "event", "session_id", "trace_id", "span_id", "agent", "step", "tool", "tool_call_id",
    "attempt", "timeout_ms", "idempotency_key", "job_id", "status", "error", "args", "result",
    "text", "waiting_for", "resource", "version", "expected_version", "http_status",
    "dropped_tool_call_ids", "scheduled_for", "deadline_ms", "clock",
)

_INT64_MAX = (1 << 63) - 1
_INT32_MAX = (1 << 31) - 1


def load_schema() -> dict[str, Any]:
    """The canonical line schema as shipped in the package."""
    text = resources.files("analyzer").joinpath("schemas/harness.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


# ---------------------------------------------------------------------------------------------
# Validation: jsonschema is the reference (and writes the messages); a checker compiled once
# from the same schema answers "valid?" for the common case in a few microseconds, because
# jsonschema's own per-keyword dispatch costs ~100 µs a line.

class _Unsupported(Exception):
    """The schema uses a keyword the fast checker does not compile."""


_ANNOTATIONS = {"$schema", "$id", "$defs", "$comment", "title", "description", "examples",
                "default", "deprecated", "readOnly", "writeOnly"}


_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "null": (type(None),), "object": (dict,), "array": (list,),
    "boolean": (bool,), "number": (int, float), "integer": (int,),
}


def _type_check(names: list[str]) -> Callable[[Any], bool]:
    """JSON Schema `type`: booleans are not numbers, and 2.0 is an integer."""
    unknown = [name for name in names if name not in _PY_TYPES]
    if unknown:
        raise _Unsupported(f"type {unknown[0]!r}")
    exact = tuple(t for name in names for t in _PY_TYPES[name])
    allows_bool = "boolean" in names
    numeric = "number" in names or "integer" in names
    whole_floats = "integer" in names and "number" not in names

    def check(value: Any) -> bool:
        if isinstance(value, bool):
            return allows_bool
        if isinstance(value, exact):
            return True
        return whole_floats and isinstance(value, float) and value.is_integer()

    if not numeric:
        return lambda value: isinstance(value, exact)
    return check


def _same(a: Any, b: Any) -> bool:
    return isinstance(a, bool) == isinstance(b, bool) and a == b


_SCALAR_KEYWORDS = ("type", "enum", "pattern", "minLength", "minimum", "maximum")


def _compile(node: Any, root: Mapping[str, Any]) -> Callable[[Any], bool]:
    """A predicate equivalent to `node` for the keywords the harness schema uses."""
    if node is True or node == {}:
        return lambda value: True
    if not isinstance(node, dict):
        raise _Unsupported(repr(node))
    node = _inline_ref(node, root)
    checks: list[Callable[[Any], bool]] = []
    if any(key in node for key in _SCALAR_KEYWORDS):
        checks.append(_scalar(node))
    for key, spec in node.items():
        if key in _ANNOTATIONS or key in _SCALAR_KEYWORDS or key.startswith("x-"):
            continue
        if key == "$ref":
            checks.append(_compile(_ref_target(spec, root), root))
        elif key == "items":
            item = _compile(spec, root)
            checks.append(lambda v: not isinstance(v, list) or all(item(x) for x in v))
        elif key == "anyOf":
            checks.append(_any_of([_compile(option, root) for option in spec]))
        elif key == "required":
            names = tuple(spec)
            checks.append(lambda v: not isinstance(v, dict) or all(n in v for n in names))
        elif key == "properties":
            checks.append(_properties({name: _compile(sub, root) for name, sub in spec.items()}))
        else:
            raise _Unsupported(key)
    if not checks:
        return lambda value: True
    if len(checks) == 1:
        return checks[0]

    def all_of(value: Any) -> bool:
        for check in checks:
            if not check(value):
                return False
        return True

    return all_of


def _ref_target(spec: Any, root: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(spec, str) or not spec.startswith("#/$defs/"):
        raise _Unsupported(f"$ref {spec!r}")
    return root["$defs"][spec.removeprefix("#/$defs/")]


def _inline_ref(node: dict[str, Any], root: Mapping[str, Any]) -> dict[str, Any]:
    """Merge a local `$ref` into its node when they share no validation keyword."""
    if "$ref" not in node:
        return node
    target = _ref_target(node["$ref"], root)
    rest = {k: v for k, v in node.items() if k != "$ref"}
    if any(k in target and not (k in _ANNOTATIONS or k.startswith("x-")) for k in rest):
        return node
    return _inline_ref({**target, **rest}, root)


def _scalar(node: dict[str, Any]) -> Callable[[Any], bool]:
    """One closure for a node's type / enum / pattern / minLength / minimum / maximum."""
    type_ok = _type_check([node["type"]] if isinstance(node["type"], str) else list(node["type"])) \
        if "type" in node else None
    options = tuple(node["enum"]) if "enum" in node else None
    if options is not None and any(isinstance(option, (dict, list)) for option in options):
        raise _Unsupported("enum of containers")
    regex = re.compile(node["pattern"]) if "pattern" in node else None
    min_length = node.get("minLength")
    minimum, maximum = node.get("minimum"), node.get("maximum")
    if type_ok is not None and len(node.keys() & set(_SCALAR_KEYWORDS)) == 1:
        return type_ok

    def check(value: Any) -> bool:
        if type_ok is not None and not type_ok(value):
            return False
        if options is not None and not any(_same(value, option) for option in options):
            return False
        if isinstance(value, str):
            if regex is not None and regex.search(value) is None:
                return False
            if min_length is not None and len(value) < min_length:
                return False
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            if minimum is not None and value < minimum:
                return False
            if maximum is not None and value > maximum:
                return False
        return True

    return check


def _any_of(options: list[Callable[[Any], bool]]) -> Callable[[Any], bool]:
    def any_of(value: Any) -> bool:
        for option in options:
            if option(value):
                return True
        return False

    return any_of


def _properties(props: dict[str, Callable[[Any], bool]]) -> Callable[[Any], bool]:
    def properties(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        for key, item in value.items():
            check = props.get(key)
            if check is not None and not check(item):
                return False
        return True

    return properties


def _short(value: Any, limit: int = 60) -> str:
    text = orjson.dumps(value, default=str).decode() if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class LineValidator:
    """Checks one harness line against a schema: `errors(line)` is [] for a valid line, else
    one readable reason per failing field (field name, what was expected, what was found)."""

    def __init__(self, schema: dict[str, Any]) -> None:
        import jsonschema  # ~40 ms: loaded when a harness line is first checked, not at start-up

        jsonschema.Draft202012Validator.check_schema(schema)
        self.schema = schema
        self._validator = jsonschema.Draft202012Validator(schema)
        self._properties: dict[str, Any] = schema.get("properties", {})
        try:
            self._fast: Callable[[Any], bool] | None = _compile(schema, schema)
        except _Unsupported:
            self._fast = None  # correct, only slower

    @property
    def compiled(self) -> bool:
        return self._fast is not None

    def is_valid(self, line: Any) -> bool:
        return self._fast(line) if self._fast is not None else self._validator.is_valid(line)

    def errors(self, line: Any, labels: Mapping[str, str] | None = None) -> list[str]:
        """[] for a valid line; else one reason per failure. `labels` renames fields (a
        mapping says where in the source line a canonical field came from)."""
        if self.is_valid(line):
            return []
        reasons = []
        for error in sorted(self._validator.iter_errors(line), key=lambda e: [str(p) for p in e.absolute_path]):
            reasons.append(self._describe(error, labels or {}))
        return reasons or ["does not match the harness schema"]

    def _describe(self, error: jsonschema.ValidationError, labels: Mapping[str, str]) -> str:
        path = list(error.absolute_path)
        if error.validator == "required" and not path:
            missing = [name for name in error.validator_value if name not in error.instance]
            return "missing required field " + ", ".join(repr(labels.get(name, name)) for name in missing)
        if error.validator == "type" and not path:
            return f"expected a JSON object, got {_short(error.instance)}"
        field = str(path[0]) if path else ""
        where = ".".join([labels.get(field, field), *(str(p) for p in path[1:])])
        expected = self._expected(field, error)
        return f"field {where!r}: expected {expected}, got {_short(error.instance)}"

    def _expected(self, field: str, error: jsonschema.ValidationError) -> str:
        spec = self._properties.get(field, {})
        label = spec.get("x-expected")
        if label is None and "$ref" in spec:
            label = self.schema.get("$defs", {}).get(spec["$ref"].rsplit("/", 1)[-1], {}).get("x-expected")
        return label or error.message


@functools.cache
def canonical_validator() -> LineValidator:
    """The validator for canonical lines, compiled once per process."""
    return LineValidator(load_schema())


@functools.cache
def mapped_validator() -> LineValidator:
    """For lines mapped from another harness format: the same schema, except that `ts` and
    `scheduled_for` may be in whatever form the mapping's time reader understands."""
    schema = copy.deepcopy(load_schema())
    for field in ("ts", "scheduled_for"):
        schema["properties"][field] = {
            "x-expected": "a timestamp",
            "type": ["string", "number"] if field == "ts" else ["string", "number", "null"],
        }
    return LineValidator(schema)


# ---------------------------------------------------------------------------------------------
# Row building

def _int32(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    return value if -_INT32_MAX - 1 <= value <= _INT32_MAX else None


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _time(value: Any, parse_time: Callable[[Any], int | None], label: str,
          reasons: list[str], flags: list[str]) -> int | None:
    """ns of a time field; a value that cannot be read is flagged and, unless the schema
    already said what is wrong with it, reported."""
    if value is None:
        return None
    problem = None
    try:
        ns = parse_time(value)
    except (ValueError, TypeError, OverflowError) as exc:
        ns, problem = None, f"cannot read {_short(value)} as a time ({exc})"
    if ns is not None and not -_INT64_MAX - 1 <= ns <= _INT64_MAX:
        ns, problem = None, f"{_short(value)} is out of range for a nanosecond time"
    if problem is not None:
        flags.append("bad_timestamp")
        prefix = f"field {label!r}:"
        if not any(reason.startswith(prefix) for reason in reasons):
            reasons.append(f"{prefix} {problem}")
    return ns


def time_text(value: Any) -> str | None:
    """The timestamp as written (numbers in their JSON form)."""
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value, default=str).decode()


# canonical field -> (column index, conversion), for the fields copied as they are
_COPIED: dict[str, tuple[int, Callable[[Any], Any]]] = {
    "agent": (I["agent"], json_text), "tool": (I["tool_name"], json_text),
    "tool_call_id": (I["tool_call_id"], json_text), "idempotency_key": (I["idempotency_key"], json_text),
    "job_id": (I["job_id"], json_text), "status": (I["status"], json_text),
    "error": (I["error_message"], json_text), "text": (I["text"], json_text),
    "waiting_for": (I["waiting_for"], json_text), "resource": (I["resource"], json_text),
    "version": (I["version"], json_text), "expected_version": (I["expected_version"], json_text),
    "step": (I["step"], _int32), "attempt": (I["attempt"], _int32), "http_status": (I["http_status"], _int32),
    "timeout_ms": (I["timeout_ms"], _float), "deadline_ms": (I["deadline_ms"], _float),
    "args": (I["args"], json_text), "result": (I["result"], json_text),
}
_LAYER, _KIND, _NAME, _CLOCK = I["layer"], I["kind"], I["name"], I["clock_domain"]
_SESSION_OWN, _SESSION_RANK = I["session_own"], I["session_rank"]
_TS_START, _TS_END, _TS_TEXT, _SCHEDULED = I["ts_raw_start"], I["ts_raw_end"], I["ts_raw_text"], I["scheduled_for_ns"]
_ARGS, _ATTRS, _FLAGS = I["args"], I["attrs"], I["flags"]


def emit_event(
    sink: RecordSink,
    pos: str,
    event: Mapping[str, Any],
    *,
    default_clock: str,
    validator: LineValidator | None,
    parse_time: Callable[[Any], int | None] = to_ns,
    raw: Any = None,
    parse_scheduled: Callable[[Any], int | None] | None = None,
    name: str | None = None,
    labels: Mapping[str, str] | None = None,
    extra_flags: Iterable[str] = (),
    columns: Mapping[str, Any] | None = None,
) -> None:
    """Validate one canonical event, report what is wrong with it, and append its record.

    `raw` is the line as read (kept whole in `attrs`; default: `event` itself), `name` the
    event's original name when a mapping renamed it, `parse_time` reads `ts` (and
    `scheduled_for` unless `parse_scheduled` is given), `labels` name fields in messages.
    Native readers that build `event` themselves pass `validator=None`, and set the columns
    the canonical format has no field for (model, token counts) through `columns`."""
    reasons = validator.errors(event, labels) if validator is not None else []
    flags = list(extra_flags)
    if reasons:
        flags.append("schema_invalid")
    event_name = event.get("event")
    event_name = event_name if isinstance(event_name, str) and event_name else None

    row = sink.new_row(pos)
    row[_LAYER] = LAYER
    row[_KIND] = event_name if event_name in EVENTS else "other"
    row[_NAME] = name if name is not None else json_text(event.get("event"))
    session = json_text(event.get("session_id"))
    if session:
        row[_SESSION_OWN] = session
        row[_SESSION_RANK] = SESSION_RANK
    clock = event.get("clock")
    row[_CLOCK] = clock if isinstance(clock, str) and clock else default_clock

    ts = event.get("ts")
    labels = labels or {}
    ts_ns = _time(ts, parse_time, labels.get("ts", "ts"), reasons, flags)
    if ts is None:
        flags.append("no_timestamp")
    row[_TS_START] = row[_TS_END] = ts_ns
    row[_TS_TEXT] = time_text(ts)
    scheduled = event.get("scheduled_for")
    if scheduled is not None:
        row[_SCHEDULED] = _time(scheduled, parse_scheduled or parse_time,
                                labels.get("scheduled_for", "scheduled_for"), reasons, flags)

    for field, value in event.items():
        target = _COPIED.get(field)
        if target is not None and value is not None:
            row[target[0]] = target[1](value)
    for field, nbytes in (("trace_id", 16), ("span_id", 8)):
        value = event.get(field)
        if value is not None:
            hex_id, ok = normalize_id(value, nbytes)
            row[I[field]] = hex_id
            if not ok:
                flags.append(f"bad_{field}_length")
    status = event.get("status")
    if isinstance(status, str) and status not in CALL_STATUSES and not (
            event_name in JOB_EVENTS and status in JOB_STATES):
        flags.append("unknown_status")
    dropped = event.get("dropped_tool_call_ids")
    if event_name == "context.truncate" and dropped is not None:
        row[_ARGS] = orjson.dumps(dropped, default=str).decode()

    row[_ATTRS] = orjson.dumps(raw if raw is not None else event, default=str).decode()
    if flags:
        row[_FLAGS] = sorted(set(flags))
    if columns:
        for column, value in columns.items():
            row[I[column]] = value
    sink.append(row)
    if reasons:
        sink.problem(pos_label(pos), "invalid harness event: " + "; ".join(reasons))


def model_columns(model: Any, usage: Any, token_keys: Mapping[str, str]) -> dict[str, Any]:
    """`columns` for `emit_event` from a model response: its model, and each token column
    (`token_keys`: column → usage key) whose count is an integer."""
    usage = usage if isinstance(usage, dict) else {}
    columns: dict[str, Any] = {"model": model if model is None or isinstance(model, str) else json_text(model)}
    for column, key in token_keys.items():
        value = usage.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            columns[column] = value
    return columns


def pos_label(pos: str) -> str:
    """`12` → `line 12`, `3#history[2]` → `line 3#history[2]`; `[3]` as it is."""
    return f"line {pos}" if pos[:1].isdigit() else pos


class HarnessIngester:
    """The canonical harness JSON Lines (also accepted: a JSON array of events)."""

    source_kind = SOURCE_KIND
    source_format = "harness-jsonl"
    independent_lines = True  # each line is one event: large logs are read in parallel parts

    def sniff(self, sample: Any, as_line: bool) -> bool:
        if as_line:
            return isinstance(sample, dict) and "ts" in sample and "event" in sample
        return (
            isinstance(sample, list) and bool(sample)
            and isinstance(sample[0], dict) and "ts" in sample[0] and "event" in sample[0]
        )

    def read_lines(self, src: SourceFile, sink: RecordSink) -> None:
        validator = canonical_validator()
        clock = src.path.name
        for number, obj in json_lines(src, sink):
            if not isinstance(obj, dict):
                sink.problem(f"line {number}", f"not a harness event: expected a JSON object, got {_short(obj)}")
                continue
            emit_event(sink, str(number), obj, default_clock=clock, validator=validator)

    def read_document(self, doc: Any, src: SourceFile, sink: RecordSink) -> None:
        validator = canonical_validator()
        clock = src.path.name
        for index, obj in enumerate(doc):
            if not isinstance(obj, dict):
                sink.problem(f"[{index}]", f"not a harness event: expected a JSON object, got {_short(obj)}")
                continue
            emit_event(sink, f"[{index}]", obj, default_clock=clock, validator=validator)
