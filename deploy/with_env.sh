#!/usr/bin/env bash
# with_env.sh CMD...: run CMD with the stack's environment ($STACK_DIR/app.env), from the repo.
set -a; . "$STACK_DIR/app.env"; set +a
cd "$(dirname "$0")/.." && exec "$@"
