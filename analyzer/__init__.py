"""seamscan: cross-layer agent trace analyzer."""

__version__ = "0.1.0"
