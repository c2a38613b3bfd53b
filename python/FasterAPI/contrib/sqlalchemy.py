"""SQLAlchemy 2's async engine in a FasterAPI app: one engine and connection pool per worker,
opened and closed by the app's lifespan; a session per request that commits when the handler
succeeds, rolls back when it raises and is always closed; Alembic migrations applied at
startup, one worker at a time (the `sqlalchemy` extra: SQLAlchemy with asyncio, and Alembic
for `migrate`).

    db = Database(os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///app.db"), pool_size=5)
    SessionDep = Annotated[AsyncSession, Depends(db.session, scope="function")]

    @asynccontextmanager
    async def lifespan(app):
        await db.connect()
        await db.migrate("migrations")
        yield
        await db.disconnect()

`scope="function"` ends the session as soon as the handler has returned, so the commit happens
before the response is sent: a client that got a 2xx knows its write is stored, and a commit
that fails is a 500 it sees, not a lost write. See docs/databases.md.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import zlib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

__all__ = ["Database"]

#: The key of the PostgreSQL advisory lock that lets one worker migrate at a time.
_MIGRATION_LOCK = zlib.crc32(b"FasterAPI.contrib.sqlalchemy.migrate")


class Database:
    """An async engine made from `url` when the lifespan calls `connect()`, on the worker's
    event loop (asyncpg's connections belong to the loop that opened them, so every worker has
    its own pool of at most `pool_size + max_overflow` connections)."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 5,
        max_overflow: int = 10,
        pool_timeout: float = 30.0,
        pool_recycle: int = -1,
        pool_pre_ping: bool = False,
        echo: bool = False,
        connect_args: Mapping[str, Any] | None = None,
    ) -> None:
        self.url = make_url(url)  # a malformed URL is an ArgumentError here, not at startup
        if pool_size < 1 or max_overflow < 0:
            raise ValueError("pool_size must be at least 1 and max_overflow at least 0")
        self._options: dict[str, Any] = {
            "echo": echo,
            "connect_args": dict(connect_args or {}),
            "pool_pre_ping": pool_pre_ping,
            "pool_recycle": pool_recycle,
        }
        if not self._in_memory:  # an in-memory SQLite database is one connection, no pool
            self._options |= {
                "pool_size": pool_size,
                "max_overflow": max_overflow,
                "pool_timeout": pool_timeout,
            }
        self._engine: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None

    @property
    def _in_memory(self) -> bool:
        return self.url.get_backend_name() == "sqlite" and self.url.database in (
            None,
            "",
            ":memory:",
        )

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("Database.connect() has not been awaited (call it in the lifespan)")
        return self._engine

    async def connect(self) -> None:
        """Makes the engine and its pool (connections are opened as requests need them)."""
        if self._engine is None:
            self._engine = create_async_engine(self.url, **self._options)
            self._sessions = async_sessionmaker(self._engine, expire_on_commit=False)

    async def disconnect(self) -> None:
        """Closes the pool's connections."""
        engine, self._engine, self._sessions = self._engine, None, None
        if engine is not None:
            await engine.dispose()

    async def session(self) -> AsyncIterator[AsyncSession]:
        """The dependency: a session for one request, committed if the handler returns,
        rolled back if it raises, closed either way."""
        if self._sessions is None:
            raise RuntimeError("Database.connect() has not been awaited (call it in the lifespan)")
        async with self._sessions() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()

    async def migrate(
        self, script_location: str | os.PathLike[str], revision: str = "head"
    ) -> None:
        """Upgrades the database to `revision` with the Alembic scripts in `script_location`
        (whose env.py runs them on `config.attributes["connection"]` when it is given, as in
        Alembic's cookbook). Workers starting together take turns: a PostgreSQL advisory lock,
        or a lock file beside a SQLite database; the next one finds the work done."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(script_location))
        config.set_main_option("sqlalchemy.url", self.url.render_as_string(hide_password=False))

        def upgrade(connection: Connection) -> None:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

        async with _migration_turn(self.url.get_backend_name(), self.url.database):
            async with self.engine.connect() as connection:
                postgres = connection.dialect.name == "postgresql"
                if postgres:  # held by the connection, across transactions
                    lock = {"key": _MIGRATION_LOCK}
                    await connection.execute(text("SELECT pg_advisory_lock(:key)"), lock)
                    await connection.commit()
                try:
                    # (a transaction begun after the lock: the version it reads is the one
                    # the worker before left, whatever the isolation level)
                    async with connection.begin():
                        await connection.run_sync(upgrade)
                finally:
                    if postgres:
                        await connection.execute(text("SELECT pg_advisory_unlock(:key)"), lock)
                        await connection.commit()


class _migration_turn:
    """Across processes, one migration of a SQLite file at a time (an flock on
    `<database>.migrate.lock`, taken in a thread); nothing for another database, whose
    migration waits on a lock of the server's."""

    def __init__(self, backend: str, database: str | None) -> None:
        self.path = None
        if backend == "sqlite" and database not in (None, "", ":memory:"):
            self.path = Path(f"{database}.migrate.lock")
        self.fd = -1

    async def __aenter__(self) -> None:
        if self.path is not None:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            await asyncio.to_thread(fcntl.flock, self.fd, fcntl.LOCK_EX)

    async def __aexit__(self, *exc_info: object) -> None:
        if self.fd >= 0:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = -1
