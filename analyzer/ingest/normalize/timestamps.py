"""Timestamps as written by every source → int nanoseconds since the epoch (UTC)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

# Epoch numbers are told apart by magnitude (SPEC 2.3): below 1e11 seconds, below 1e14
# milliseconds, below 1e17 microseconds, else nanoseconds.
_SECONDS_MAX, _MILLIS_MAX, _MICROS_MAX = 1e11, 1e14, 1e17


def epoch_to_ns(number: float | int) -> int:
    magnitude = abs(number)
    if magnitude < _SECONDS_MAX:
        return round(number * 1_000_000_000)
    if magnitude < _MILLIS_MAX:
        return round(number * 1_000_000)
    if magnitude < _MICROS_MAX:
        return round(number * 1_000)
    return int(number)


def iso_to_ns(text: str) -> int:
    """RFC 3339 / ISO 8601 with any fraction length; a missing offset is read as UTC."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    fraction_ns = 0
    dot = value.find(".")
    if dot != -1:
        end = dot + 1
        while end < len(value) and value[end].isdigit():
            end += 1
        digits = value[dot + 1:end]
        fraction_ns = int((digits + "000000000")[:9]) if digits else 0
        value = value[:dot] + value[end:]
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp()) * 1_000_000_000 + fraction_ns


def to_ns(value: Any) -> int | None:
    """ns from an epoch number (s/ms/µs/ns by magnitude), a numeric string, or ISO 8601 text.
    Raises ValueError for text that is none of these."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, (int, float)):
        return epoch_to_ns(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return epoch_to_ns(float(text)) if not text.isdigit() else epoch_to_ns(int(text))
        except ValueError:
            return iso_to_ns(text)
    raise ValueError(f"not a timestamp: {value!r}")
