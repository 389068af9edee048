"""Ingesters: one module per input family, all emitting rows in the store schema."""
