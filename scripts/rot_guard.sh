#!/usr/bin/env bash
# Rot guard: run the whole test suite against the NEWEST releases of the stack.
#
# Builds a throwaway environment in build/rot-guard/venv with the newest releases
# (unpinned) of every package requirements.txt pins, runs the suite there, and
# reports which versions it used and what broke. nbval runs in lax mode: every
# cell must run, but no output is compared digit by digit (a new release may
# round an exact cell's last digit differently); the results checks of
# tests/expected_results.toml and the unit tests decide, and the report names
# each failed metric, claim, cell or test. It records the result in
# build/rot-guard/report.md and in the "rot guard" section of docs/testing.md, to commit.
# CI never runs this (CI stays on the pinned set): a new upstream release can
# break this command, never CI. Extra arguments go to pytest.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$REPO/build/rot-guard"
VENV="$OUT/venv"
if [ -z "${PYTHON:-}" ]; then
  if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi
rm -rf "$VENV" && mkdir -p "$OUT"
"$PYTHON" -m venv "$VENV" || exit 2
PY="$VENV/bin/python"

# The pinned names, without their versions.
mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$REPO/requirements.txt" | grep '==' | cut -d= -f1)
echo "Installing the newest releases of: ${packages[*]}"
"$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
if ! "$PY" -m pip install --quiet --disable-pip-version-check --upgrade "${packages[@]}" > "$OUT/install.log" 2>&1; then
  install_failed=1
else
  install_failed=0
  "$PY" -m pip install --quiet --disable-pip-version-check --no-deps -e "$REPO" >> "$OUT/install.log" 2>&1
  "$PY" -m ipykernel install --sys-prefix --name python3 >/dev/null 2>&1
fi

# pip spells some names with "_" (tf_keras): compare lower-case names with "-".
versions="$("$PY" -m pip list --format=freeze 2>/dev/null | tr 'A-Z_' 'a-z-' \
  | grep -E "^($(IFS='|'; echo "${packages[*]}" | tr 'A-Z_' 'a-z-'))==" | tr '\n' ' ')"
echo "Versions: $versions"

start=$SECONDS
if [ "$install_failed" = 1 ]; then
  status=2
  summary="installation failed (see build/rot-guard/install.log): $(tail -n 3 "$OUT/install.log" | tr '\n' ' ')"
else
  (cd "$REPO" && JUPYTER_PREFER_ENV_PATH=1 PATH="$VENV/bin:$PATH" "$PY" -m pytest -q -rfE --nbval-lax "$@") \
    > "$OUT/pytest.log" 2>&1
  status=$?
  summary="$( (grep -E '^(FAILED|ERROR) ' "$OUT/pytest.log" | cut -c1-240 | head -n 40; tail -n 1 "$OUT/pytest.log") )"
fi
seconds=$((SECONDS - start))
if [ "$status" = 0 ]; then result="PASS"; else result="FAIL"; fi

report="Last run: $(date -u +%Y-%m-%d), result **$result** (pytest exit status $status, ${seconds} s), with: \`${versions% }\`"
{
  echo "$report"
  echo
  echo '```'
  echo "$summary"
  echo '```'
} > "$OUT/report.md"
cat "$OUT/report.md"

# Replace the record between the markers in docs/testing.md.
"$PY" - "$REPO/docs/testing.md" "$OUT/report.md" <<'PY'
import re, sys
readme, report = sys.argv[1], open(sys.argv[2]).read().strip()
text = open(readme).read()
new, n = re.subn(r"(<!-- rot-guard:start -->\n).*?(\n<!-- rot-guard:end -->)",
                 lambda m: m.group(1) + report + m.group(2), text, flags=re.S)
if n == 1:
    open(readme, "w").write(new)
    print("docs/testing.md: rot-guard record updated")
else:
    print("docs/testing.md has no rot-guard markers; record left in build/rot-guard/report.md")
PY
exit "$status"
