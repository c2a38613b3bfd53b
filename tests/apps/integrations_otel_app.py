"""An unchanged FastAPI app instrumented by opentelemetry-instrumentation-fastapi, in the
drop-in mode: its server spans go to an in-memory exporter and are shown at /spans, for
tests/test_integrations.py on both doors."""

import FasterAPI.compat

FasterAPI.compat.install()

from fastapi import FastAPI  # noqa: E402
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))

app = FastAPI()


@app.get("/items/{item_id}")
def read_item(item_id: int):
    return {"item_id": item_id}


@app.get("/boom")
def boom():
    raise RuntimeError("boom")


@app.get("/spans")
def spans():
    return [
        {
            "name": span.name,
            "route": span.attributes.get("http.route"),
            "status": span.status.status_code.name,
            "exception": [e.attributes.get("exception.type") for e in span.events],
        }
        for span in exporter.get_finished_spans()
        if span.kind.name == "SERVER" and span.attributes.get("http.route") != "/spans"
    ]


FastAPIInstrumentor.instrument_app(app, tracer_provider=provider)
