#!/usr/bin/env bash
# The whole test suite: unit tests of helpers/, papermill runs with other
# parameters, and nbval over every notebook (strict: all outputs compared).
# Installs what it needs into .venv first. Extra arguments go to pytest. It runs on two pytest-xdist
# workers (pyproject.toml); -n 0 runs it in one process.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/ensure_env.sh"
cd "$REPO"
start=$SECONDS
set +e
"$VENV_PY" -m pytest "$@"
status=$?
set -e
echo "test suite: $((SECONDS - start)) s, pytest exit status $status"
exit $status
