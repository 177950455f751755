"""CLI command modules: ``APP``+``NAME`` for a group, or ``register(app)`` for top-level commands."""
