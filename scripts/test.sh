#!/usr/bin/env bash
# The whole test suite: each notebook executed once by nbval (the outputs that are the same on any CPU compared,
# fit cells tagged nbval-ignore-output), then its metrics checked against tests/expected_results.toml; the checks of
# the committed outputs; unit tests of helpers/ (docs/testing.md).
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
