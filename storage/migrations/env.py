"""Alembic environment: the engine comes from the caller (storage.db), never from a config file."""
from alembic import context

import storage.models  # noqa: F401  (registers the tables)
from sqlmodel import SQLModel

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
