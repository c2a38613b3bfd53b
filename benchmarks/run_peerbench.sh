#!/bin/bash
# Thin wrapper around /work/shared/bench/peerbench.py: real HTTP (wrk) against every peer of
# peers.json (the pure-Rust axum floor, FastAPI+uvicorn, faster-api-web+uvicorn, Starlette+uvicorn,
# FastAPI+granian, BlackSheep+uvicorn, Robyn, Litestar+uvicorn) and four FasterAPI contenders, one
# server core each:
#   FasterAPI native             `fasterapi run` (our own server) serving apps/fasterapi_app.py
#   FasterAPI native (pydantic)  the same serving apps/fasterapi_pydantic_app.py
#   FasterAPI+uvicorn            our venv's uvicorn serving apps/fasterapi_app.py
#   FasterAPI+granian            our venv's granian serving apps/fasterapi_app.py
# Ratios in the table are CPU time per request relative to the axum floor.
#   PY          our interpreter (default: ../.venv/bin/python)
#   PEERS_VENV  the peers venv made by setup_peers.sh (default: $HOME/.cache/fasterapi-peers)
#   PEERBENCH   the harness (default: $SHARED/peerbench.py, SHARED=/work/shared/bench)
# Extra arguments go to peerbench.py, e.g. --rounds 5 --dur 5 --json out.json
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
PY="${PY:-$here/../.venv/bin/python}"
PEERBENCH="${PEERBENCH:-${SHARED:-/work/shared/bench}/peerbench.py}"
export PEERS_VENV="${PEERS_VENV:-$HOME/.cache/fasterapi-peers}"

[ -x "$PEERS_VENV/axum-target/release/axum_limit" ] || { echo "no peers: run make setup" >&2; exit 1; }
# The peers' uvicorn runs on uvloop + httptools (uvicorn[standard]); ours must too, or it is unfair;
# and our granian must be theirs.
"$PY" -c "import FasterAPI._core, uvloop, httptools, granian" ||
  { echo "$PY cannot import FasterAPI._core, uvloop, httptools, granian: make build, make setup" >&2
    exit 1; }
pins() { "$1" -m pip freeze | grep -iE '^(uvicorn|uvloop|httptools|granian)==' | sort; }
[ "$(pins "$PY")" = "$(pins "$PEERS_VENV/bin/python")" ] ||
  { echo "our uvicorn/uvloop/httptools/granian differ from the peers' (make setup pins them)" >&2; exit 1; }

native() {  # native APP PORT: our own server, as latency.py, memory.py and scaling.py start it
  echo "$(dirname "$PY")/fasterapi run $1 --host 127.0.0.1 --port $2 --no-access-log --log-level warning"
}
uvicorn="$PY -m uvicorn fasterapi_app:app --port 8210 --loop uvloop --http httptools"
granian="$(dirname "$PY")/granian --interface asgi --port 8216 --workers 1 --log-level error"
exec python3 "$PEERBENCH" \
  --add "FasterAPI native|8211|$here/apps|$(native fasterapi_app:app 8211)" \
  --add "FasterAPI native (pydantic)|8212|$here/apps|$(native fasterapi_pydantic_app:app 8212)" \
  --add "FasterAPI+uvicorn|8210|$here/apps|$uvicorn --log-level error --no-access-log" \
  --add "FasterAPI+granian|8216|$here/apps|$granian fasterapi_app:app" \
  "$@"
