"""Report model (SPEC 6) and one emitter module per output format."""
