"""Python helpers for what rule SQL cannot say (text heuristics), registered as DuckDB
functions so rule queries call them by name. Each helper is a pure function of its arguments.

Add a helper: write the function, then one `_FUNCTIONS` entry (name, function, argument
types, return type)."""

from __future__ import annotations

import ast
import fnmatch
import functools
import re
from typing import Any, Callable

import duckdb
import orjson

from analyzer.ingest.normalize.messages import canonical_messages


# --- SEAM006 / SEAM007 / SEAM011 / SEAM012 helpers --------------------------------------------

_MAX_TEXT = 200_000  # larger payloads are compared as text only (no literal parsing)
_IDEMPOTENCY_ARGS = ("idempotency_key", "idempotencykey", "idempotency-key", "idempotency.key")
_RESULT_WRAPPERS = ("result", "output", "return_value", "content", "response", "value", "data")
_PYTHON_CONSTANTS = {"None": None, "True": True, "False": False}  # str() of a tool's return value
_CAPPED_PREFIX = 200


def _loads(text: Any) -> Any:
    """JSON (or a Python literal, as some frameworks str() a tool's return value) parsed, else
    the text stripped; strings holding JSON are unwrapped (re-serialized payloads)."""
    value: Any = text
    for _ in range(3):
        if not isinstance(value, str):
            break
        stripped = value.strip()
        if stripped in _PYTHON_CONSTANTS:
            return _PYTHON_CONSTANTS[stripped]
        if stripped[:1] not in ("{", "[", '"') and stripped not in ("null", "true", "false") \
                and not stripped[:1].isdigit() and stripped[:1] != "-":
            return stripped
        try:
            value = orjson.loads(stripped)
            continue
        except orjson.JSONDecodeError:
            pass
        if len(stripped) > _MAX_TEXT or stripped[:1] not in ("{", "["):
            return stripped
        try:
            value = ast.literal_eval(stripped)
        except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
            return stripped
    return value


def _canonical(value: Any) -> Any:
    """Dict keys sorted, tuples as lists, integral floats as ints."""
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _leaves(value: Any, out: list[str], limit: int = 200) -> None:
    if len(out) >= limit:
        return
    if isinstance(value, dict):
        for item in value.values():
            _leaves(item, out, limit)
    elif isinstance(value, list):
        for item in value:
            _leaves(item, out, limit)
    elif value is not None and not isinstance(value, bool):
        out.append(str(value))


def canonical_json(text: str | None) -> str | None:
    """A payload as canonical JSON (sorted keys, no spaces), however it was serialized."""
    if text is None:
        return None
    try:
        return orjson.dumps(_canonical(_loads(text)), option=orjson.OPT_SORT_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        return str(text).strip()


def result_delivered(content: str | None, result: str | None) -> bool:
    """Does a tool message `content` carry the tool's `result`? Equal as canonical JSON (also
    under a one-key wrapper such as {"result": ...}), or, for a rendered result, the content
    text holds the result text or every scalar value of it. A placeholder does not."""
    if content is None or result is None:
        return False
    wanted = _canonical(_loads(result))
    got = _canonical(_loads(content))
    for _ in range(3):
        if got == wanted:
            return True
        wrapper = next((k for k in _RESULT_WRAPPERS if isinstance(got, dict) and k in got), None)
        if wrapper is None:
            break
        got = _canonical(_loads(got[wrapper]))
    rendered: list[str] = []
    _leaves(_loads(content), rendered, limit=10_000)
    text = " ".join(" ".join(rendered or [str(content)]).split())
    result_text = " ".join(str(result).split())
    if len(text) >= _CAPPED_PREFIX and result_text.startswith(text[:_CAPPED_PREFIX]):
        return True  # a copy capped by the framework (long outputs are cut)
    if isinstance(wanted, str):
        return bool(wanted) and " ".join(wanted.split()) in text
    values: list[str] = []
    _leaves(wanted, values)
    return bool(values) and all(value in text for value in values)


def tool_response(messages: str | None, call_id: str | None) -> str | None:
    """The content of the tool message answering `call_id` in a model request's messages (any
    common shape), 'null' when it has none; NULL when no message answers that id."""
    if not call_id:
        return None
    for message in _messages(messages):
        if message.get("tool_call_id") == call_id and message.get("role") in ("tool", "user", None):
            content = message.get("content")
            return "null" if content is None else str(content)
    return None


def carries_result(messages: str | None, result: str | None) -> bool:
    """Does any tool message of a model request carry `result`, whatever its call id (some
    frameworks log tool messages without one)?"""
    if result is None:
        return False
    return any(message.get("role") == "tool" and result_delivered(message.get("content"), result)
               for message in _messages(messages))


@functools.lru_cache(maxsize=256)
def _messages(messages: str | None) -> tuple[dict[str, Any], ...]:
    """A model request's messages in canonical form (read only: cached, as the calls of one step
    all look into the same next request)."""
    if not messages:
        return ()
    try:
        return tuple(canonical_messages(messages) or ())
    except (TypeError, ValueError, RecursionError):
        return ()


def first_user_text(messages: str | None) -> str | None:
    """The first user message of a model request: which conversation (agent, sub-agent) it is."""
    for message in _messages(messages):
        if message.get("role") == "user" and not message.get("tool_call_id") and message.get("content"):
            return " ".join(str(message["content"]).split())[:2000]
    return None


def lists_call(calls: str | None, call_id: str | None) -> bool:
    """Is `call_id` in a JSON list of call ids or of calls (`[{id, name, arguments}]`)?"""
    if not calls or not call_id:
        return False
    items = _loads(calls)
    return isinstance(items, list) and any(
        (c.get("id") if isinstance(c, dict) else c) == call_id for c in items)


def glob_match(name: str | None, globs: list[str] | None) -> bool:
    """Case-insensitive shell-glob match of a tool name against any of `globs`."""
    if not name or not globs:
        return False
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, str(glob).lower()) for glob in globs if glob)


def idempotency_key_of(attrs: str | None, args: str | None) -> str | None:
    """An idempotency key a tool call carried outside the harness column: an attribute or HTTP
    request header (`http.request.header.idempotency-key`), or an argument of the call."""
    for text in (attrs, args):
        value = _loads(text) if text else None
        if not isinstance(value, dict):
            continue
        for key, item in value.items():
            normalized = str(key).lower().replace("http.request.header.", "").removeprefix("x-")
            if normalized in _IDEMPOTENCY_ARGS and item not in (None, "", []):
                item = item[0] if isinstance(item, list) else item
                return str(item)
    return None


def call_args_key(args: str | None) -> str | None:
    """A tool call's arguments as canonical JSON without idempotency keys: equal for two
    attempts of one logical call however each was serialized."""
    if args is None:
        return None
    value = _canonical(_loads(args))
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if k.lower().removeprefix("x-") not in _IDEMPOTENCY_ARGS}
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        return str(args).strip()


_VERSION_CHECK_KEYS = ("expected_version", "expectedversion", "if_match", "if-match", "ifmatch", "expected_etag")


def version_check_of(attrs: str | None, args: str | None) -> str | None:
    """The version a write was conditioned on, outside the harness column: an `If-Match`
    request header attribute or an `expected_version` / `if_match` argument."""
    for text in (attrs, args):
        value = _loads(text) if text else None
        if not isinstance(value, dict):
            continue
        for key, item in value.items():
            normalized = str(key).lower().replace("http.request.header.", "")
            if normalized in _VERSION_CHECK_KEYS and item not in (None, "", []):
                return str(item[0] if isinstance(item, list) else item)
    return None


_GENERIC_ID_KEYS = ("id", "key", "record", "record_id", "resource", "resource_id", "path", "name")


def record_key(tool_name: str | None, args: str | None) -> str | None:
    """The record a tool call's arguments name: the id of the tool's own object when given
    (`update_invoice(customer_id=C-5, invoice_id=I-1)` -> `invoice_id=I-1`), else its only id-like
    argument, else all of them; a generic one (`id`, `key`, `path`) is qualified by the object,
    the name after the tool's verb (`update_user(id=5)` -> `user:id=5`)."""
    value = _loads(args) if args else None
    if not isinstance(value, dict):
        return None
    subject = (tool_name or "").lower().partition("_")[2] or (tool_name or "").lower()
    ids: dict[str, str] = {}
    for key, item in value.items():
        name = str(key).lower()
        if not (name in _GENERIC_ID_KEYS or name.endswith("_id") or str(key).endswith("Id")):
            continue
        if isinstance(item, bool) or not isinstance(item, (str, int)) or not str(item).strip():
            continue
        ids[name] = f"{subject}:{name}={item}" if name in _GENERIC_ID_KEYS else f"{name}={item}"
    if not ids:
        return None
    for own in (f"{subject}_id", f"{subject.rstrip('s')}_id", f"{subject}id", "id"):
        if own in ids:
            return ids[own]
    return ",".join(ids[name] for name in sorted(ids))


# --- SEAM001 / SEAM003 helpers ------------------------------------------------------------------

_PAYLOAD_ERROR_KEYS = ("error", "errors", "error_message", "errormessage", "exception", "fault")
_PAYLOAD_ERROR_STATES = ("error", "failed", "failure", "fail", "notfound", "nodata", "nodatafound", "invalid")
_PAYLOAD_STATE_KEYS = ("status", "response_status", "state", "outcome")
_PAYLOAD_MESSAGE_KEYS = ("message", "detail", "details", "reason", "code", "hint", "type", "title", "msg")
_PAYLOAD_META_KEYS = ("type", "id", "name", "object", "tool_call_id", "call_id", "count", "total", "total_count",
                "page", "limit", "offset", "next", "cursor", "next_cursor", "has_more", "query", "q",
                "iserror", "is_error", "status")
# payload_shape's fast path; SEAM001 and SEAM003 apply the same test in SQL before calling the
# helpers, through the `plain_payload` macro built from this pattern (see _MACROS).
_MAYBE_EMPTY = re.compile(
    r"\[\s*\]|\{\s*\}|null|none|undefined|\bnil\b|\"\"|''|err|fail|fault|exception|found|exist|no data|invalid"
    r"|\bok\b|success|detail|msg|\btraceback\b", re.I)
_NOT_FOUND_TEXT = re.compile(
    r"^\s*(?:error|exception|traceback|failed|failure)\b|\b(?:not found|does not exist|doesn't exist|"
    r"no (?:\w+ ){0,2}?(?:data|results?|records?|matches|entries) (?:was |were )?(?:found|available|returned))\b",
    re.I)


def payload_shape(result: str | None, status: str | None, error_message: str | None,
                  attrs: str | None = None) -> str | None:
    """What an empty or error-shaped tool payload is ('null', 'an empty list', 'an error object',
    ...), also nested or JSON in a string; NULL when it carries data or was not recorded. A
    harness line that wrote `"result": null` (kept in `attrs`) returned null."""
    if result is None:
        if status == "error" or error_message:
            return "an error"
        fields = _loads(attrs) if attrs and '"result"' in attrs else None
        return "null" if isinstance(fields, dict) and "result" in fields and fields["result"] is None else None
    if status != "error" and len(result) > 40 and not _MAYBE_EMPTY.search(result):
        return None  # fast path: nothing in the text could make it empty or error-shaped
    shape = _payload_shape(_loads(result), 0)
    if shape is None and status == "error":
        return "an error message" if isinstance(_loads(result), str) else "an error object"
    return shape


def _payload_shape(value: Any, depth: int) -> str | None:
    if depth > 6:
        return None
    if value is None:
        return "null"
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return "an empty string"
        if text.lower() in ("null", "none", "undefined", "nil"):
            return "null"
        if len(text) <= 400 and _NOT_FOUND_TEXT.search(text):
            return "an error message"
        return None
    if isinstance(value, (list, tuple)):
        if not value:
            return "an empty list"
        shapes = [_payload_shape(_loads(item) if isinstance(item, str) else item, depth + 1) for item in value]
        if all(shapes):
            return shapes[0] if len(shapes) == 1 else "an empty list"
        return None
    if isinstance(value, dict):
        return _dict_payload_shape(value, depth)
    return None


def _dict_payload_shape(value: dict[Any, Any], depth: int) -> str | None:
    if not value:
        return "an empty object"
    keys = {str(k).lower(): v for k, v in value.items()}
    if any(keys.get(k) not in (None, "", [], {}, False) for k in _PAYLOAD_ERROR_KEYS):
        return "an error object"
    if keys.get("iserror") is True or keys.get("is_error") is True or keys.get("ok") is False \
            or keys.get("success") is False:
        return "an error object"
    detail = keys.get("detail")
    if ("msg" in keys and "loc" in keys) or (isinstance(detail, list) and detail and all(
            isinstance(d, dict) and "msg" in d for d in detail)):
        return "an error object"  # pydantic / FastAPI validation errors
    states = [re.sub(r"[^a-z]", "", str(keys[k]).lower()) for k in _PAYLOAD_STATE_KEYS if isinstance(keys.get(k), str)]
    if any(s in _PAYLOAD_ERROR_STATES for s in states) and set(keys) <= set(_PAYLOAD_STATE_KEYS + _PAYLOAD_MESSAGE_KEYS):
        return "an error object"
    data_keys = [k for k in keys if k not in _PAYLOAD_META_KEYS]
    if not data_keys:
        return "an empty object" if all(v in (None, "", [], {}) for v in keys.values()) else None
    inner = [_payload_shape(_loads(keys[k]) if isinstance(keys[k], str) else keys[k], depth + 1) for k in data_keys]
    if all(inner):
        return inner[0] if len(inner) == 1 else "an empty object"
    return None


_GAP_WORDS = re.compile(
    r"\b(?:not (?:be )?(?:found|available|retriev\w*|find|locate|determin\w*|access\w*|sure|certain|know|"
    r"possible|able|confirm\w*|verif\w*)"
    r"|couldn'?t|could not|can'?t|cannot|can not|unable|(?:wasn'?t|weren'?t|was not|were not) able"
    r"|no (?:\w+ ){0,2}?(?:data|results?|records?|information|info|details|matches|match|entries|hits)"
    r"|no (?:\w+ ){0,3}?(?:(?:is|are|was|were) )?(?:available|found|returned|matched|on (?:file|record))"
    r"|(?:nothing|none) (?:was |were )?(?:found|returned|available)"
    r"|unavailable|(?:isn'?t|aren'?t|is not|are not) available"
    r"|(?:i|we) (?:don'?t|do not) (?:have|know|see)"
    r"|(?:doesn'?t|does not|didn'?t|did not) (?:return|have|contain|provide|exist|find|show|include|work)"
    r"|returned (?:no|nothing|an? error|empty|null)"
    r"|errors?|failed|failure|fails"
    r"|empty|missing|unknown|unclear|uncertain"
    r"|sorry|unfortunately|apologi[sz]e"
    r"|might|perhaps|possibly|probably|likely|may (?:be|not|have)"
    r"|(?:i|we) (?:think|believe|assume|guess|estimate)"
    r"|(?:appears?|seems?) to|try again|retry)\b",
    re.I)


def acknowledges_gap(text: str | None) -> bool:
    """Does a model answer acknowledge missing data or an error, or hedge?"""
    return bool(text) and _GAP_WORDS.search(" ".join(str(text).replace("\u2019", "'").split())) is not None


_CLAIM_TOKEN = re.compile(
    r"https?://[^\s)\]>\"']+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # urls, e-mail addresses
    r"|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}:\d{2}\b"  # ISO dates, clock times
    r"|(?<![\w.])[$€£¥]?\s?\d{1,3}(?:[,\u202f\u00a0 ]\d{3})+(?:\.\d+)?(?![\w])"  # 1,234.50 / 48 210
    r"|(?<![\w.,])[$€£¥]?\d+,\d{1,2}(?![\d,])"  # a decimal comma: 49,90
    r"|\b(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[A-Za-z0-9][\w-]*[A-Za-z0-9]\b"  # ids: letters and digits
    r"|(?<![\w.])[$€£¥]?\d+(?:\.\d+)?"  # plain numbers
    r"|\b[A-Z][\w'-]*[A-Za-z]\b")  # capitalised words
_NUMBER = re.compile(r"\d{1,3}(?:[,\u202f\u00a0 ]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_COMMON_CAPITALS = frozenset("""
i i'm i've i'll i'd ok okay yes no hi hello hey dear thanks thank please sorry note here there the a an
your you my our we it its this that these those today tomorrow yesterday done sure great also however
january february march april june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday
sunday mon tue wed thu fri sat sun am pm utc gmt id ids api url pdf faq
""".split())


def unsupported_claims(answer: str | None, known_texts: list[str] | None) -> list[str]:
    """Specific claims of `answer` (numbers, amounts, dates, times, ids, urls, names) that appear
    in none of `known_texts` (the session's tool payloads, arguments and user input). A lone
    unsupported name is not enough (the user's words may not be in the trace): empty then."""
    if not answer:
        return []
    known = "\n".join(t for t in known_texts or [] if t).lower()
    known_numbers = {_claim_number(m) for m in _NUMBER.findall(known)}
    claims: list[str] = []
    for match in _CLAIM_TOKEN.finditer(answer):
        token = match.group(0).strip()
        if token and token not in claims and not _claim_supported(token, answer, match.start(), known, known_numbers):
            claims.append(token)
    names = [c for c in claims if not any(ch.isdigit() for ch in c) and ":" not in c and "@" not in c]
    return claims if len(claims) > len(names) or len(names) >= 2 else []


def _claim_supported(token: str, answer: str, position: int, known: str, known_numbers: set[float]) -> bool:
    lowered = token.lower()
    if token[:1].isupper() and not any(c.isdigit() for c in token):  # a capitalised word
        before = answer[:position].rstrip(" *_\"'(")
        sentence_start = not before or before[-1] in ".!?:\n-•"
        if lowered in _COMMON_CAPITALS or (sentence_start and not token.isupper()) or len(token) < 2:
            return True
        return _mentions_word(known, lowered)
    if re.fullmatch(r"\d{1,2}:\d{2}", token):  # 7:05 is 07:05
        hour, minute = token.split(":")
        return re.search(rf"(?<![0-9])0?{int(hour)}:{minute}(?![0-9])", known) is not None
    digits = re.sub(r"[$€£¥\s\u202f\u00a0]", "", token)
    if re.fullmatch(r"\d+,\d{1,2}", digits):
        digits = digits.replace(",", ".")
    if _NUMBER.fullmatch(digits):
        value = _claim_number(digits)
        if value < 10 and value == int(value) and "." not in digits:
            return True  # small counts ("2 options") are not specifics
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        return any(abs(value - known_value) <= 0.5 * 10 ** -decimals for known_value in known_numbers)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", token):
        return lowered in known or all(_claim_number(p) in known_numbers for p in token.split("-"))
    return _mentions_word(known, lowered)


def _mentions_word(known: str, token: str) -> bool:
    """Is `token` a whole word of `known` (an underscore separates words: `total_nok`)?"""
    return re.search(rf"(?<![a-z0-9]){re.escape(token)}(?![a-z0-9])", known) is not None


def _claim_number(text: str) -> float:
    return float(re.sub(r"[,\u202f\u00a0 ]", "", text))


_CALLER_ERROR_TEXT = re.compile(
    r"validation|invalid|schema|\brequired\b|missing (?:required )?(?:argument|parameter|field)|unexpected "
    r"(?:keyword )?argument|must be|not allowed|malformed|bad request|unprocessable|type_error|value_error"
    r"|expected (?:a|an|one of)\b|unknown (?:argument|parameter|field)|extra (?:fields|inputs) not permitted"
    r"|\b4(?:00|22)\b", re.I)
_REDACTED_TOOL_ERROR = re.compile(r"Error running tool\b")  # the Agents SDK's span error without detail
_RETRY_REQUEST_TEXT = re.compile(r"retry.?prompt|ModelRetry|ToolRetryError|RetryPromptPart", re.I)
_BAD_ARGUMENTS_TEXT = re.compile(
    r"invalid json|json input|\bparse error|(?:could not|failed to|unable to|cannot) parse|malformed", re.I)
_TRANSIENT_TEXT = re.compile(
    r"time[d ]?\s?out|timeout|unavailable|temporar|connection|rate.?limit|too many requests|overloaded|"
    r"try again later|\b5\d\d\b|deadline|reset by peer|cancel", re.I)


def caller_error(status: str | None, http_status: int | None, error_type: str | None,
                 error_message: str | None, result: str | None, args: str | None = None) -> str | None:
    """The caller-side error a tool attempt failed with ('HTTP 422', 'a validation error', 'a
    framework retry request', 'invalid arguments' also when the arguments were not valid JSON),
    NULL for success and for transient failures (5xx, timeouts)."""
    if status in ("timeout", "cancelled") or (http_status is not None and http_status >= 500):
        return None
    if http_status is not None and 400 <= http_status < 500 and http_status not in (408, 425, 429):
        return f"HTTP {http_status}"
    failed = status == "error" or (result is not None and payload_shape(result, status, None, None) in
                                   ("an error object", "an error message"))
    if not failed:
        return None
    text = " ".join(str(part) for part in (error_type, error_message, result) if part)
    if _RETRY_REQUEST_TEXT.search(text):
        return "a framework retry request"
    if _TRANSIENT_TEXT.search(text):
        return None
    malformed = args is not None and str(args).strip()[:1] in ("{", "[") and isinstance(_loads(args), str)
    if malformed or _BAD_ARGUMENTS_TEXT.search(text):
        return "invalid arguments"
    if _CALLER_ERROR_TEXT.search(text):
        return "a validation error"
    if error_message and _REDACTED_TOOL_ERROR.match(error_message):
        return "a tool error whose details the framework withheld"
    return None


def short_text(text: str | None, limit: int) -> str | None:
    """`text` on one line, cut to `limit` characters (for messages and evidence)."""
    if text is None:
        return None
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: max(limit - 1, 0)] + "\u2026"


def http_status_of(http_status: int | None, attrs: str | None) -> int | None:
    """The HTTP status of a call: the column, else the span attribute `http.response.status_code`
    (or the older `http.status_code`)."""
    if http_status is not None or not attrs or "status_code" not in attrs:
        return http_status
    values = _loads(attrs)
    if not isinstance(values, dict):
        return None
    for key in ("http.response.status_code", "http.status_code"):
        try:
            return int(values[key])
        except (KeyError, TypeError, ValueError):
            continue
    return None


_OPERATION_ARGS = ("command", "action", "operation", "op", "method")


def revises_args(before: str | None, after: str | None) -> bool:
    """Is `after` a corrected version of the call `before`, not another operation? Added
    arguments are fine; at most half of the earlier ones (at least one) may change or go.
    Arguments that were not a JSON object (invalid JSON) are always revised."""
    old, new = _canonical(_loads(before)) if before else None, _canonical(_loads(after)) if after else None
    if not isinstance(old, dict) or not isinstance(new, dict):
        return old != new
    changed = [k for k in old if k not in new or old[k] != new[k]]
    if any(str(k).lower() in _OPERATION_ARGS for k in changed):
        return False  # another operation of a multi-purpose tool (str_replace -> view)
    revised = changed + [k for k in new if k not in old]
    if revised and all(str(k).lower() in _VERSION_CHECK_KEYS for k in revised):
        return False  # only the version a conditional write was based on moved: a concurrency retry
    return 0 < len(changed) + len(set(new) - set(old)) and len(changed) <= max(1, len(old) // 2)


def args_change(before: str | None, after: str | None) -> str | None:
    """How a call's arguments changed between two attempts ('added reason; changed date')."""
    old, new = _canonical(_loads(before)) if before else None, _canonical(_loads(after)) if after else None
    if isinstance(new, dict) and isinstance(old, str) and str(before).strip()[:1] in ("{", "["):
        return "valid JSON instead of malformed arguments"
    if not isinstance(old, dict) or not isinstance(new, dict):
        return None if old == new else "changed arguments"
    parts = [f"added {', '.join(sorted(set(new) - set(old)))}" if set(new) - set(old) else "",
             f"removed {', '.join(sorted(set(old) - set(new)))}" if set(old) - set(new) else "",
             "changed " + ", ".join(sorted(k for k in set(old) & set(new) if old[k] != new[k]))
             if any(old[k] != new[k] for k in set(old) & set(new)) else ""]
    return "; ".join(p for p in parts if p) or None


def context_text(messages: str | None) -> str | None:
    """The text of a model request's non-assistant messages (user, system, tool results)."""
    texts = [str(m.get("content")) for m in _messages(messages)
             if m.get("role") != "assistant" and m.get("content") not in (None, "")]
    return "\n".join(texts) or None


# --- SEAM004 helpers --------------------------------------------------------------------------

_HANDLE_KEYS = {"jobid": "job_id", "taskid": "task_id", "operationid": "operation_id"}
_HANDLE_OBJECTS = ("job", "task", "operation")  # {"operation": {"id" | "name": ...}}
_STATE_KEYS = ("status", "state", "phase", "job_status", "task_status")
_PENDING_STATES = {"pending", "accepted", "queued", "submitted", "scheduled", "in_progress", "inprogress",
                   "running", "processing", "started"}
_FINISHED_STATES = {"succeeded", "success", "completed", "complete", "done", "finished", "failed", "error",
                    "cancelled", "canceled"}
_HTTP_KEYS = ("http_status", "status_code", "http_status_code")
_HTTP_ATTRS = ("http.response.status_code", "http.status_code")
_HANDLE_TEXT = re.compile(r"\b(job|task|operation)[ _-]?id\b[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9][\w.:/-]*[A-Za-z0-9])",
                          re.IGNORECASE)
_STATE_TEXT = re.compile(r"\b(pending|queued|accepted|submitted|running|in progress|processing)\b", re.IGNORECASE)
_PENDING_TEXT = re.compile(
    r"\b(pending|queued|in progress|in-progress|still (?:running|processing|working|being)|processing|"
    r"not (?:yet )?(?:ready|finished|complete|done)|(?:once|when) (?:it|the \w+|that)(?: \w+)? (?:is|has|completes|finishes)|"
    r"will (?:notify|let you know|email|update|follow up|send)|check back|poll|track (?:it|its|the)|"
    r"status (?:with|using|of)|under way|underway|being (?:generated|processed|prepared|rendered))\b",
    re.IGNORECASE)
_DONE_TEXT = re.compile(
    r"\b(is (?:now )?(?:ready|done|complete|completed|finished|available|live)|are (?:now )?(?:ready|done|complete)|"
    r"(?:has|have) (?:been )?(?:successfully )?(?:completed|finished|generated|created|exported|processed|"
    r"sent|delivered|rendered|uploaded|published|deployed|applied|done)|successfully|here is|here's|"
    r"all done|completed|finished)\b",
    re.IGNORECASE)


def _norm_key(key: Any) -> str:
    return str(key).lower().replace("_", "").replace("-", "")


def _state_of(node: dict[Any, Any]) -> str | None:
    for key, value in node.items():
        if str(key).lower() in _STATE_KEYS and isinstance(value, str):
            return value.strip().lower()
    return None


def _http_of(node: dict[Any, Any]) -> int | None:
    for key, value in node.items():
        if _norm_key(key) in {_norm_key(k) for k in _HTTP_KEYS} and isinstance(value, int) \
                and not isinstance(value, bool) and 100 <= value <= 599:
            return value
    return None


def _handles(node: Any, inherited: str | None, depth: int, out: list[tuple[str, str, str | None]]) -> None:
    """(kind, id, state) of every handle in a payload; a state is the nearest enclosing one."""
    if depth > 8 or len(out) > 20:
        return
    if isinstance(node, list):
        for item in node[:100]:
            _handles(item, inherited, depth + 1, out)
        return
    if isinstance(node, str) and node.lstrip()[:1] in ("{", "["):  # a payload re-serialized as text
        node = _loads(node)
    if not isinstance(node, dict):
        return
    state = _state_of(node) or inherited
    for key, value in node.items():
        name = _HANDLE_KEYS.get(_norm_key(key))
        if name and isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            out.append((name, str(value).strip(), state))
        elif str(key).lower() in _HANDLE_OBJECTS and isinstance(value, dict):
            ident = value.get("id", value.get("name"))
            if isinstance(ident, (str, int)) and not isinstance(ident, bool) and str(ident).strip():
                out.append((f"{str(key).lower()}_id", str(ident).strip(), _state_of(value) or state))
            _handles(value, _state_of(value) or state, depth + 1, out)
        else:
            _handles(value, state, depth + 1, out)


def async_handle(result: str | None, http_status: int | None, attrs: str | None) -> dict[str, str] | None:
    """The async handle a tool result carries ({handle, key, state}): a job_id / task_id /
    operation_id (also camelCase, nested, or `{"operation": {"id": ...}}`) whose nearest state
    is pending/accepted/queued-like, or any such id in an HTTP 202 response. NULL otherwise."""
    if result is None:
        return None
    payload = _loads(result)
    found: list[tuple[str, str, str | None]] = []
    _handles(payload, None, 0, found)
    if not found and isinstance(payload, str):  # prose: "Export queued (job_id: exp-19)"
        match = _HANDLE_TEXT.search(payload)
        state = _STATE_TEXT.search(payload)
        if match and state:
            return {"handle": match.group(2), "key": _HANDLE_KEYS[_norm_key(match.group(1) + "id")],
                    "state": state.group(1).lower()}
    if not found:
        return None
    status = http_status
    if status is None and isinstance(payload, dict):
        status = _http_of(payload)
    if status is None and attrs:
        attributes = _loads(attrs)
        if isinstance(attributes, dict):
            code = next((attributes[k] for k in _HTTP_ATTRS if k in attributes), None)
            status = code if isinstance(code, int) and not isinstance(code, bool) else None
    for key, handle, state in found:
        if state is not None and state.replace(" ", "_").replace("-", "_") in _PENDING_STATES:
            return {"handle": handle, "key": key, "state": state}
    key, handle, state = found[0]
    if status == 202 and (state is None or state not in _FINISHED_STATES):
        return {"handle": handle, "key": key, "state": f"HTTP 202{', ' + state if state else ''}"}
    return None


def reports_pending(text: str | None) -> bool:
    """Does an answer tell the user the work is still pending or in progress?"""
    return bool(text) and _PENDING_TEXT.search(text) is not None


def claims_done(text: str | None) -> bool:
    """Does an answer claim the work is finished ("your report is ready", "has been sent")?"""
    return bool(text) and not reports_pending(text) and _DONE_TEXT.search(text) is not None


_FUNCTIONS: list[tuple[str, Callable[..., Any], list[str], str]] = [
    ("canonical_json", canonical_json, ["VARCHAR"], "VARCHAR"),
    ("result_delivered", result_delivered, ["VARCHAR", "VARCHAR"], "BOOLEAN"),
    ("tool_response", tool_response, ["VARCHAR", "VARCHAR"], "VARCHAR"),
    ("first_user_text", first_user_text, ["VARCHAR"], "VARCHAR"),
    ("carries_result", carries_result, ["VARCHAR", "VARCHAR"], "BOOLEAN"),
    ("lists_call", lists_call, ["VARCHAR", "VARCHAR"], "BOOLEAN"),
    ("glob_match", glob_match, ["VARCHAR", "VARCHAR[]"], "BOOLEAN"),
    ("idempotency_key_of", idempotency_key_of, ["VARCHAR", "VARCHAR"], "VARCHAR"),
    ("call_args_key", call_args_key, ["VARCHAR"], "VARCHAR"),
    ("record_key", record_key, ["VARCHAR", "VARCHAR"], "VARCHAR"),
    ("version_check_of", version_check_of, ["VARCHAR", "VARCHAR"], "VARCHAR"),
    ("payload_shape", payload_shape, ["VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR"], "VARCHAR"),
    ("acknowledges_gap", acknowledges_gap, ["VARCHAR"], "BOOLEAN"),
    ("unsupported_claims", unsupported_claims, ["VARCHAR", "VARCHAR[]"], "VARCHAR[]"),
    ("caller_error", caller_error, ["VARCHAR", "INTEGER", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR"], "VARCHAR"),
    ("short_text", short_text, ["VARCHAR", "INTEGER"], "VARCHAR"),
    ("http_status_of", http_status_of, ["INTEGER", "VARCHAR"], "INTEGER"),
    ("revises_args", revises_args, ["VARCHAR", "VARCHAR"], "BOOLEAN"),
    ("args_change", args_change, ["VARCHAR", "VARCHAR"], "VARCHAR"),
    ("context_text", context_text, ["VARCHAR"], "VARCHAR"),
    ("async_handle", async_handle, ["VARCHAR", "INTEGER", "VARCHAR"],
     "STRUCT(handle VARCHAR, key VARCHAR, state VARCHAR)"),
    ("reports_pending", reports_pending, ["VARCHAR"], "BOOLEAN"),
    ("claims_done", claims_done, ["VARCHAR"], "BOOLEAN"),
]


def _sql_regex(pattern: re.Pattern[str]) -> str:
    """A Python pattern as a SQL string literal for DuckDB's RE2: `\\s` (which RE2 reads
    differently) widened to any character outside printable ASCII but space, quotes doubled."""
    return "'" + pattern.pattern.replace(r"\s", "[^!-~]").replace("'", "''") + "'"


# SQL macros: inlined by DuckDB (no Python call per row), registered with the helpers.
_MACROS: list[tuple[str, str]] = [
    # Long text that payload_shape's fast path would pass as plain data without parsing it.
    ("plain_payload", f"(text) AS length(text) > 40 AND NOT regexp_matches(text, {_sql_regex(_MAYBE_EMPTY)}, 'i')"),
]


def helper_names() -> list[str]:
    """Every name `register` defines: Python helpers and SQL macros."""
    return [name for name, *_ in _FUNCTIONS] + [name for name, _ in _MACROS]


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Register every helper on `con` (once per connection: the catalog says which exist, as
    an `id()` of a closed connection is reused by the next one)."""
    known = {row[0] for row in con.execute(
        "SELECT function_name FROM duckdb_functions() WHERE function_type = 'scalar'").fetchall()}
    for name, function, arg_types, return_type in _FUNCTIONS:
        if name not in known:
            con.create_function(name, function, arg_types, return_type, null_handling="special",
                                side_effects=False)
    for name, definition in _MACROS:
        con.execute(f"CREATE OR REPLACE TEMP MACRO {name}{definition}")
