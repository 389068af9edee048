"""Python helpers for what rule SQL cannot say (text heuristics), registered as DuckDB
functions so rule queries call them by name. Each helper is a pure function of its arguments.

Add a helper: write the function, then one `_FUNCTIONS` entry (name, function, argument
types, return type)."""

from __future__ import annotations

from typing import Any, Callable

import duckdb

_FUNCTIONS: list[tuple[str, Callable[..., Any], list[str], str]] = [
]
_REGISTERED: "set[int]" = set()


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Register every helper on `con` (once per connection)."""
    if id(con) in _REGISTERED:
        return
    for name, function, arg_types, return_type in _FUNCTIONS:
        con.create_function(name, function, arg_types, return_type, null_handling="special",
                            side_effects=False)
    _REGISTERED.add(id(con))
