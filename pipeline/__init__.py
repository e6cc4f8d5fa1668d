"""OncoTriples pipeline: CLI, config, stage orchestration, run state and releases."""

__version__ = "0.1.0"
