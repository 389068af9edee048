"""The DuckDB store: schema, bulk loads, session identity and the rule-facing views."""
