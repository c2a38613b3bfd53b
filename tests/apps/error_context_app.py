"""An app whose validation-error handler answers with the error's text, which names the
endpoint (function, file, line, METHOD /path), for tests/test_fastapi_names.py on both doors."""

from FasterAPI import FastAPI
from FasterAPI.exceptions import RequestValidationError
from FasterAPI.responses import PlainTextResponse

app = FastAPI()


@app.exception_handler(RequestValidationError)
async def as_text(request, exc: RequestValidationError):
    return PlainTextResponse(str(exc), status_code=422)


@app.get("/users/{user_id}")
def get_user(user_id: int):
    return {"user_id": user_id}
