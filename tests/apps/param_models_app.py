"""Parameter models and aliased parameters (tests/test_param_models.py and
tests/test_param_aliases.py), served through TestClient and the native server."""

from decimal import Decimal
from ipaddress import IPv4Address
from typing import Annotated

from FasterAPI import Cookie, Depends, FastAPI, Header, Path, Query
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, HttpUrl, SecretStr

app = FastAPI()


class Filters(BaseModel):
    limit: int = Field(10, gt=0, le=100)
    tags: list[str] = []
    order: str = "asc"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    term: str


class Range(BaseModel):
    start: int
    end: int


class Agent(BaseModel):
    user_agent: str = "none"
    x_tags: list[str] = []


class Session(BaseModel):
    session_id: str = Field(alias="sessionId")
    theme: str = "light"


@app.get("/filters")
def filters(filters: Annotated[Filters, Query()]):
    return filters


@app.get("/strict")
def strict(query: Annotated[Strict, Query()]):
    return query


def get_range(date_range: Annotated[Range | None, Query()] = None):
    return date_range


@app.get("/optional")
def optional(date_range: Annotated[Range | None, Depends(get_range)], page: int = 1):
    return {"range": date_range, "page": page}


@app.get("/agent")
def agent(agent: Annotated[Agent, Header()]):
    return agent


@app.get("/session")
def session(session: Annotated[Session, Cookie()]):
    return session


@app.get("/choices")
def choices(
    value: Annotated[int, Query(validation_alias=AliasChoices("v", "value"))],
    token: Annotated[str, Header(validation_alias="X-Token")] = "none",
):
    return {"value": value, "token": token}


@app.get("/items/{item_id}")
def item(number: Annotated[int, Path(validation_alias="item_id", ge=1)]):
    return {"number": number}


@app.get("/scalars")
def scalars(
    url: HttpUrl,
    secret: SecretStr | None = None,
    ip: IPv4Address | None = None,
    amount: Decimal | None = None,
    either: int | str | None = None,
    tags: Annotated[Annotated[set[str], Field(max_length=2)] | None, Query()] = None,
):
    return {
        "url": str(url),
        "secret": secret.get_secret_value() if secret else None,
        "ip": str(ip) if ip else None,
        "amount": str(amount) if amount is not None else None,
        "either": either,
        "tags": sorted(tags) if tags else None,
    }
