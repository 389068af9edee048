"""The Textual TUI (SPEC 8): findings, sessions, a session's merged per-step stack trace, clocks."""
