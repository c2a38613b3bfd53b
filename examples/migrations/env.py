"""Alembic's environment for the example app. The app runs the migrations at startup on a
connection of its own engine (`config.attributes["connection"]`, set by Database.migrate);
the `alembic` command, run from examples/, connects to the app's DATABASE_URL itself."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def run_migrations(connection: Connection, target_metadata=None) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_command_line() -> None:
    from items_app import DATABASE_URL, Base  # (prepend_sys_path = . in alembic.ini)

    engine = create_async_engine(DATABASE_URL)
    async with engine.begin() as connection:
        await connection.run_sync(run_migrations, Base.metadata)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not set up for the example app")
connection = context.config.attributes.get("connection")
if connection is None:
    asyncio.run(run_from_command_line())
else:
    run_migrations(connection)
