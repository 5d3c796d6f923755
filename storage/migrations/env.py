"""Alembic runs inside the bot's own connection (storage.db.migrate) or, for autogenerate, on a URL."""
from alembic import context
from sqlalchemy import Connection, create_engine

from storage.models import Base

config = context.config


def run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:  # command-line use by developers: `alembic -x url=sqlite:///dev.db revision --autogenerate`
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///cxbot.db")
    with create_engine(url).connect() as conn:
        run(conn)
        conn.commit()
