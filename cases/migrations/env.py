"""Alembic environment: driven programmatically by ``cases.db.migrate`` (engine passed in attributes)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from cases.db import make_engine
from cases.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("no database given to the migrations (use cases.db.migrate)")
        engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
