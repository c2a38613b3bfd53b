"""FasterAPI.contrib.sqlalchemy: the session-per-request dependency (committed when the handler
returns, before the response is sent; rolled back when it raises; always closed) and the
Database's checks, through both doors, on SQLite and on a real PostgreSQL server."""

import asyncio
from typing import Annotated

import pytest
from FasterAPI import BackgroundTasks, Depends, FastAPI, HTTPException
from FasterAPI.contrib.sqlalchemy import Database
from sqlalchemy import Integer, String, select, text
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tests.support.services import new_database, postgres_server

pytestmark = pytest.mark.fasterapi_only  # (FasterAPI's module)


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(100))


@pytest.fixture(scope="module")
def postgres():
    with postgres_server() as url:
        yield url


async def run_sql(url: str, sql: str) -> list[tuple]:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(sql))
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'notes.db'}"
    return new_database(request.getfixturevalue("postgres"))


def make_app(url: str, seen: list) -> FastAPI:
    db = Database(url, pool_size=2, max_overflow=0)
    SessionDep = Annotated[AsyncSession, Depends(db.session, scope="function")]

    async def lifespan(app):
        await db.connect()
        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        yield
        await db.disconnect()

    app = FastAPI(lifespan=lifespan)

    async def rows_now() -> None:
        """A background task: runs once the response is sent; what another connection sees."""
        seen.append(await run_sql(url, "SELECT text FROM notes ORDER BY id"))

    @app.post("/notes/{words}", status_code=201)
    async def add(words: str, session: SessionDep, tasks: BackgroundTasks):
        session.add(Note(text=words))
        await session.flush()
        if words == "fail":
            raise HTTPException(400, "refused after the INSERT")
        if words == "crash":
            raise RuntimeError("the handler failed after the INSERT")
        tasks.add_task(rows_now)
        return {"ok": True}

    @app.get("/notes")
    async def notes(session: SessionDep) -> list[str]:
        return list(await session.scalars(select(Note.text).order_by(Note.id)))

    return app


def test_the_session_commits_before_the_response_is_sent(url, make_client):
    seen: list = []
    client = make_client(make_app(url, seen))
    assert client.post("/notes/first").status_code == 201
    # The background task, after the response, saw the row from another connection.
    assert seen == [[("first",)]]
    assert client.get("/notes").json() == ["first"]


def test_the_session_rolls_back_when_the_handler_raises(url, make_client):
    client = make_client(make_app(url, []), raise_server_exceptions=False)
    response = client.post("/notes/fail")
    assert response.status_code == 400
    assert response.json() == {"detail": "refused after the INSERT"}
    assert client.post("/notes/crash").status_code == 500
    assert client.get("/notes").json() == []
    # Each session went back to the pool (2 connections, no overflow): more requests go on.
    for n in range(5):
        assert client.post(f"/notes/n{n}").status_code == 201
    assert client.get("/notes").json() == [f"n{n}" for n in range(5)]


def test_the_database_refuses_what_cannot_work():
    with pytest.raises(ArgumentError):
        Database("not a url")
    with pytest.raises(ValueError, match="pool_size"):
        Database("sqlite+aiosqlite:///x.db", pool_size=0)
    db = Database("sqlite+aiosqlite://")  # in memory: no pool options
    with pytest.raises(RuntimeError, match="connect"):
        db.engine  # noqa: B018

    async def session_before_connect():
        async for _ in db.session():
            pass

    with pytest.raises(RuntimeError, match="connect"):
        asyncio.run(session_before_connect())
