"""FasterAPI's native server: it imports the app it serves, and nothing in the app imports it.

The asyncio event loop (uvloop where installed) owns the sockets; Rust (`_core.HttpParser`)
parses and frames the bytes and matches each request to the app's routes. The modules, from
the command down to one request:

- `cli`: the `fasterapi run` / `fasterapi dev` command, and `run` (`FasterAPI.run(app)`);
- `discovery`: finding the app from an import string or a file, as fastapi-cli does;
- `supervisor`: worker processes sharing the port, restarts, `--reload`;
- `serving`: one process's server (`serve`, `Config`), where it listens (host:port, `--uds`,
  `--fd`), TLS (`--ssl-*`), the trusted proxies, signals and the app's lifespan;
- `protocol`: one connection (`HttpProtocol`), flow control and timeouts;
- `native`: a request to a FasterAPI route, served without an ASGI scope (`NativeCycle`);
- `cycle`: a request served through ASGI (`RequestCycle`), and the access log;
- `websocket`: a WebSocket connection (`WebSocketCycle`), framed in Rust;
- `logs`: the server's logging, as uvicorn's looks.
"""

from .cli import main
from .cli import run_app as run
from .serving import Config, serve

__all__ = ["Config", "main", "run", "serve"]
