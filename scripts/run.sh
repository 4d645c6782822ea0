#!/usr/bin/env bash
# Run every notebook headless with papermill into build/ and print a summary
# (notebook, seconds, headline metric). Installs what it needs into .venv first.
# Extra arguments go to scripts/run_notebooks.py (see its --help).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/ensure_env.sh"
cd "$REPO"
exec "$VENV_PY" scripts/run_notebooks.py "$@"
