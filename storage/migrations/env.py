"""Alembic runs inside the bot's own connection (storage.db.migrate); there is no alembic.ini. A new migration
is a file in versions/ written by hand, after the shape of the ones there."""
from alembic import context
from sqlalchemy import Connection

from storage.models import Base

config = context.config


def run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run(config.attributes["connection"])
