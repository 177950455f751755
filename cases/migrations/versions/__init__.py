"""Numbered migrations of the workflow database."""
