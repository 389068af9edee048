"""Report model (SPEC 6) and one emitter module per output format."""

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
