"""The one action registry: key bindings, the footer and the help screen all come from here."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Action:
    scope: str  # app, table, findings, session, sessions, clock, modal
    keys: str  # Textual key list, comma-separated ("j,down")
    action: str
    description: str
    show: bool = True  # in the footer
    priority: bool = False


SCOPE_TITLES = {
    "app": "Everywhere",
    "table": "Tables (vim aliases)",
    "findings": "Findings",
    "session": "Session trace",
    "sessions": "Sessions",
    "clock": "Clock",
    "modal": "Dialogs",
}

ACTIONS: tuple[Action, ...] = (
    Action("app", "q", "quit", "Quit"),
    Action("app", "ctrl+q", "quit", "Quit (also from a text field)", show=False, priority=True),
    Action("app", "f", "show('findings')", "Findings"),
    Action("app", "s", "show('sessions')", "Sessions"),
    Action("app", "c", "show('clock')", "Clock"),
    Action("app", "question_mark,f1", "help", "Help"),
    Action("table", "j", "cursor_down", "Down", show=False),
    Action("table", "k", "cursor_up", "Up", show=False),
    Action("table", "g,home", "scroll_top", "First row", show=False),
    Action("table", "G,end", "scroll_bottom", "Last row", show=False),
    Action("findings", "slash", "focus_filter", "Filter"),
    Action("findings", "v", "cycle_severity", "Severity"),
    Action("findings", "r", "focus_rules", "By rule"),
    Action("findings", "escape", "clear_filter", "Clear filter", show=False),
    Action("session", "n", "next_evidence", "Next evidence"),
    Action("session", "N", "previous_evidence", "Previous evidence"),
    Action("session", "tab", "focus_detail", "Detail", show=False),
    Action("session", "escape", "back", "Back"),
    Action("sessions", "o", "cycle_sort", "Sort"),
    Action("sessions", "O", "reverse_sort", "Reverse"),
    Action("sessions", "slash", "focus_filter", "Filter"),
    Action("sessions", "escape", "clear_filter", "Clear filter", show=False),
    Action("clock", "j", "scroll_down", "Down", show=False),
    Action("clock", "k", "scroll_up", "Up", show=False),
    Action("modal", "escape,enter", "dismiss", "Close"),
    Action("modal", "q", "app.quit", "Quit"),
)


def bindings(scope: str) -> list[Binding]:
    """Textual bindings of one scope, in registry order."""
    return [Binding(a.keys, a.action, a.description, show=a.show, priority=a.priority)
            for a in ACTIONS if a.scope == scope]


def key_label(keys: str) -> str:
    """How the help screen writes a key list: `question_mark,f1` → `? / f1`."""
    names = {"question_mark": "?", "slash": "/", "escape": "esc", "enter": "enter"}
    return " / ".join(names.get(key, key) for key in keys.split(","))
