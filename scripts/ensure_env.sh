# Sourced by scripts/run.sh and scripts/test.sh: make sure .venv holds the pinned stack.
#
# Creates .venv with $PYTHON (default: python3.11 if present, else python3) the
# first time, and (re)installs requirements.txt whenever it changed since the
# last install. Afterwards $VENV_PY is the environment's Python.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv"
if [ -z "${PYTHON:-}" ]; then
  if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  version="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  if [ "$version" != "3.11" ]; then
    echo "note: $PYTHON is Python $version; the pinned stack was tested with Python 3.11" >&2
  fi
  echo "Creating $VENV with $PYTHON ..." >&2
  "$PYTHON" -m venv "$VENV"
fi
VENV_PY="$VENV/bin/python"

stamp="$VENV/.requirements.sha256"
wanted="$(cd "$REPO" && cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  echo "Installing the pinned stack into $VENV (a few minutes the first time, about 3.7 GB) ..." >&2
  "$VENV_PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
  (cd "$REPO" && "$VENV_PY" -m pip install --quiet --disable-pip-version-check -r requirements.txt)
  # A kernel spec inside the environment, preferred over any user-level "python3"
  # spec, so nbval and papermill run the notebooks with this environment.
  "$VENV_PY" -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (flow tutorials)" >/dev/null
  echo "$wanted" > "$stamp"
fi

export JUPYTER_PREFER_ENV_PATH=1
export PATH="$VENV/bin:$PATH"
