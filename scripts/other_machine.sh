#!/usr/bin/env bash
# The notebooks' part of the suite (nbval and the results checks) as if on another CPU: TensorFlow's oneDNN kernels
# on and one TensorFlow thread, so that every fit takes another rounding path. The cells nbval compares must come
# out the same and every metric and claim of tests/expected_results.toml must still hold; the fits' own digits may
# differ. Extra arguments go to pytest.
#
#   bash scripts/other_machine.sh                                   # every notebook
#   bash scripts/other_machine.sh notebooks/02_flow_zoo.ipynb       # one notebook
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/ensure_env.sh"
cd "$REPO"
export TF_ENABLE_ONEDNN_OPTS=1 TF_NUM_INTRAOP_THREADS=1 OMP_NUM_THREADS=1
# the metrics of these executions stay, to see how far the fits moved: scripts/check_results.py build/other-machine/*.json
export FLOW_TUTORIALS_METRICS_DIR="$REPO/build/other-machine"
if [ $# -eq 0 ]; then set -- notebooks/; fi
"$VENV_PY" -m pytest "$@"
