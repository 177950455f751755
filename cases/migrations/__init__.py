"""Alembic environment of the workflow database (shipped inside the package)."""
