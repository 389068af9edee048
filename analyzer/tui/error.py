"""A driver error becomes this modal, never a crash; screens report failed workers through it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from analyzer.errors import SeamscanError
from analyzer.tui.actions import bindings
from analyzer.tui.cells import literal


class ErrorModal(ModalScreen[None]):
    BINDINGS = bindings("modal")

    def __init__(self, title: str, message: str, hint: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.hint = hint

    def compose(self) -> ComposeResult:
        body = literal(self.message)
        if self.hint:
            body.append("\nhint: ", style="dim")
            body.append(literal(self.hint, style="dim"))
        body.append("\n\nenter / esc to close, q to quit", style="dim")
        with Vertical(id="error-box"):
            yield Static(Text(self.title_text, style="bold red"), markup=False)
            yield Static(body, markup=False, id="error-message")


def error_modal(worker: Worker) -> ErrorModal:
    """The modal for a worker that raised: its query's error, named, with the hint if it has one."""
    error = worker.error
    if isinstance(error, SeamscanError):
        return ErrorModal("seamscan: error", error.message, error.hint)
    return ErrorModal(f"{worker.name or 'query'} failed", f"{type(error).__name__}: {error}")


class DataScreen(Screen):
    """A screen whose thread workers query the store; a worker that fails opens the error modal."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.app.push_screen(error_modal(event.worker))
