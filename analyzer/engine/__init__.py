"""Rule registry and runner: rules are data (TOML: metadata, documentation, SQL over the views)."""
