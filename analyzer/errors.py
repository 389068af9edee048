"""One error hierarchy: every failure the CLI reports is a SeamscanError with a hint."""

from __future__ import annotations


class SeamscanError(Exception):
    """Base error: `message` says what went wrong, `hint` how to fix it."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(SeamscanError):
    """Bad command line or configuration (exit 2)."""

    exit_code = 2


class StoreError(SeamscanError):
    """The DuckDB store could not be opened or written (exit 2)."""

    exit_code = 2


class InputError(SeamscanError):
    """A recognised input could not be read; carries the position where reading failed."""

    exit_code = 3

    def __init__(self, message: str, position: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.position = position
