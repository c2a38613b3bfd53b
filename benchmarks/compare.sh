#!/bin/bash
# Two FasterAPI trees side by side in one peerbench run (a change's before and after), beside the
# pure-Rust axum floor: each tree's native server and its uvicorn, one server core each.
#   usage: benchmarks/compare.sh OLD_TREE NEW_TREE [peerbench options, e.g. --rounds 3 --dur 4]
# Each tree needs its own built .venv (make build there; git worktree add gives a second tree),
# with the peers' uvicorn, uvloop and httptools (make -C benchmarks setup pins them).
set -euo pipefail
old="$(cd "$1" && pwd)"; new="$(cd "$2" && pwd)"; shift 2
SHARED="${SHARED:-/work/shared/bench}"
native() { echo "$1/.venv/bin/fasterapi run fasterapi_app:app --host 127.0.0.1 --port $2 --no-access-log --log-level warning"; }
uvicorn() { echo "$1/.venv/bin/python -m uvicorn fasterapi_app:app --port $2 --loop uvloop --http httptools --log-level error --no-access-log"; }
floor="axum-floor (pure Rust)"
exec python3 "$SHARED/peerbench.py" --only "$floor,old native,new native,old+uvicorn,new+uvicorn" \
  --add "old native|8221|$old/benchmarks/apps|$(native "$old" 8221)" \
  --add "new native|8222|$new/benchmarks/apps|$(native "$new" 8222)" \
  --add "old+uvicorn|8223|$old/benchmarks/apps|$(uvicorn "$old" 8223)" \
  --add "new+uvicorn|8224|$new/benchmarks/apps|$(uvicorn "$new" 8224)" \
  --baseline "$floor" "$@"
