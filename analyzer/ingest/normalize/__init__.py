"""Normalization shared by every reader: attribute conventions, messages, call ids, timestamps."""
