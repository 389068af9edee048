"""Harness logs: the canonical JSON Lines, TOML-mapped logs, OpenHands, Anthropic sessions."""
