"""An unchanged FastAPI app with sentry-sdk's FastAPI integration, in the drop-in mode: its
events and transactions are captured in-process (a Transport of its own) and shown at
/captured, for tests/test_integrations.py on both doors."""

import FasterAPI.compat

FasterAPI.compat.install()

import sentry_sdk  # noqa: E402
from sentry_sdk.transport import Transport  # noqa: E402

captured: list[dict] = []


class CapturingTransport(Transport):
    """Keeps the events and transactions Sentry would send."""

    def capture_envelope(self, envelope):
        for item in envelope.items:
            if item.type in ("event", "transaction"):
                payload = item.payload.json
                exceptions = payload.get("exception", {}).get("values", [])
                captured.append(
                    {
                        "type": payload.get("type", "event"),
                        "transaction": payload.get("transaction"),
                        "exceptions": [(e["type"], e["value"]) for e in exceptions],
                    }
                )


sentry_sdk.init(dsn="http://key@localhost/1", transport=CapturingTransport, traces_sample_rate=1.0)

from fastapi import FastAPI  # noqa: E402

app = FastAPI()


@app.get("/items/{item_id}")
def read_item(item_id: int):
    return {"item_id": item_id}


@app.get("/boom/{n}")
async def boom(n: int):
    raise RuntimeError(f"boom {n}")


@app.get("/captured")
def read_captured():
    sentry_sdk.flush()
    return [event for event in captured if event["transaction"] != "/captured"]
