"""A small website (tests/test_static_and_templates.py): static files mounted with StaticFiles
(html=True) and pages from Jinja2 templates linking to routes and files with url_for. Its
files are written at import into a folder of its own, beside a `secret.txt` the static
mount must never serve; the folder is removed when the process exits."""

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from FasterAPI import FastAPI, Query, Request
from FasterAPI.staticfiles import StaticFiles
from FasterAPI.templating import Jinja2Templates

SITE = Path(tempfile.mkdtemp(prefix="fasterapi-site-"))
atexit.register(shutil.rmtree, SITE, ignore_errors=True)
FILES = {
    "secret.txt": "do not serve\n",
    "public/app.css": "body { color: teal; }\n",
    "public/docs/index.html": "<h1>Docs</h1>\n",
    "public/404.html": "<h1>No such page</h1>\n",
    "public/a b.txt": "spaced\n",
    "templates/base.html": (
        "<title>{% block title %}{% endblock %}</title>{% block body %}{% endblock %}"
    ),
    "templates/item.html": (
        '{% extends "base.html" %}{% block title %}{{ item.name }}{% endblock %}'
        "{% block body %}<link href=\"{{ url_for('static', path='/app.css') }}\">"
        "<a href=\"{{ url_for('read_item', item_id=item.id) }}\">{{ item.name }}</a>"
        "<p>{{ note }} {{ site }}</p>{% endblock %}"
    ),
}
for name, text in FILES.items():
    path = SITE / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def site_name(request: Request) -> dict:
    return {"site": f"shop at {request.url.hostname}"}


templates = Jinja2Templates(directory=SITE / "templates", context_processors=[site_name])
app = FastAPI()
app.mount("/static", StaticFiles(directory=SITE / "public", html=True), name="static")


@app.get("/items/{item_id}")
async def read_item(request: Request, item_id: int, note: Annotated[str, Query()] = "<b>hi</b>"):
    item = {"id": item_id, "name": f"Item {item_id}"}
    return templates.TemplateResponse(request, "item.html", {"item": item, "note": note})


@app.get("/old-style")
async def old_style(request: Request):
    return templates.TemplateResponse(
        "item.html", {"request": request, "item": {"id": 1, "name": "Old"}}
    )
