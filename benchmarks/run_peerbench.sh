#!/bin/bash
# Thin wrapper around /work/shared/bench/peerbench.py: real HTTP (wrk) against FastAPI+uvicorn,
# faster-api-web+uvicorn, FasterAPI+uvicorn and the pure-Rust axum floor, one server core each.
# Ratios in the table are CPU time per request relative to the axum floor.
#   PY          our interpreter (default: ../.venv/bin/python); its uvicorn serves apps/fasterapi_app.py
#   PEERS_VENV  the peers venv made by setup_peers.sh (default: $HOME/.cache/fasterapi-peers)
#   PEERBENCH   the harness (default: /work/shared/bench/peerbench.py)
#   NATIVE=1    also run FasterAPI's own server (`fasterapi run`) as "FasterAPI native"
# Extra arguments go to peerbench.py, e.g. --rounds 5 --json out.json
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
PY="${PY:-$here/../.venv/bin/python}"
PEERBENCH="${PEERBENCH:-/work/shared/bench/peerbench.py}"
export PEERS_VENV="${PEERS_VENV:-$HOME/.cache/fasterapi-peers}"

[ -x "$PEERS_VENV/axum-target/release/axum_limit" ] || { echo "no peers: run make setup" >&2; exit 1; }
# The peers' uvicorn runs on uvloop + httptools (uvicorn[standard]); ours must too, or it is unfair.
"$PY" -c "import FasterAPI._core, uvloop, httptools" ||
  { echo "$PY cannot import FasterAPI._core, uvloop and httptools: make build; make setup" >&2; exit 1; }
pins() { "$1" -m pip freeze | grep -iE '^(uvicorn|uvloop|httptools)==' | sort; }
[ "$(pins "$PY")" = "$(pins "$PEERS_VENV/bin/python")" ] ||
  { echo "our uvicorn/uvloop/httptools differ from the peers' (make setup pins them)" >&2; exit 1; }

only="axum-floor (pure Rust),FastAPI+uvicorn,reference faster-api-web+uvicorn,FasterAPI+uvicorn"
uvicorn="$PY -m uvicorn fasterapi_app:app --port 8210 --loop uvloop --http httptools"
add=(--add "FasterAPI+uvicorn|8210|$here/apps|$uvicorn --log-level error --no-access-log")
if [ "${NATIVE:-0}" = 1 ]; then
  only+=",FasterAPI native"
  add+=(--add "FasterAPI native|8211|$here/apps|$(dirname "$PY")/fasterapi run fasterapi_app:app --port 8211")
fi
exec python3 "$PEERBENCH" "${add[@]}" --only "$only" "$@"
