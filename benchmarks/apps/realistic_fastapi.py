"""The realistic app (benchmarks/README.md, "Realistic app") for FastAPI.

CORS middleware for one origin, an HTTP bearer security dependency, a `yield` dependency standing
in for a database session (no I/O: an object made before the yield, closed after), a pydantic
`response_model`, a constrained query parameter, a pydantic body and a background task.
realistic_fasterapi.py is this file with `fastapi` replaced by `FasterAPI`.
Serve with: uvicorn realistic_fastapi:app (from this folder, in the peers venv).
"""

from typing import Annotated

from fastapi import BackgroundTasks, Depends, FastAPI, HTTPException, Query, status
from fastapi.middleware.cors import CORSMiddleware
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from realistic_common import EVENTS, ORIGIN, TOKEN, ItemIn, ItemOut, Session, get_db

bearer = HTTPBearer()


async def current_user(
    credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)],
) -> str:
    if credentials.credentials != TOKEN:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "Invalid token", headers={"WWW-Authenticate": "Bearer"}
        )
    return "bench-user"


async def record_event(name: str) -> None:
    EVENTS.append(name)


app = FastAPI()
app.add_middleware(CORSMiddleware, allow_origins=[ORIGIN], allow_methods=["*"], allow_headers=["*"])

User = Annotated[str, Depends(current_user)]
DB = Annotated[Session, Depends(get_db)]


@app.get("/items/{item_id}", response_model=ItemOut)
async def read_item(
    item_id: int, user: User, db: DB, limit: Annotated[int, Query(ge=1, le=100)] = 10
):
    row = db.get_item(item_id)
    row["tags"] = row["tags"][:limit]
    return row


@app.post("/items", response_model=ItemOut, status_code=status.HTTP_201_CREATED)
async def create_item(item: ItemIn, user: User, db: DB, background_tasks: BackgroundTasks):
    background_tasks.add_task(record_event, item.name)
    return db.add_item(item)
