#!/usr/bin/env bash
# nbval over every notebook as if on another CPU, to check that the committed outputs and their tolerances hold
# there too. The tolerances come from scripts/float_noise.py, which changes float rounding one way at a time. This
# runs a combination that neither the measurements nor the tolerance rule were tuned on: TensorFlow's oneDNN kernels
# on and one TensorFlow thread, with every sampled data point one float32 ulp *down* (float_noise moves them up).
# Three earlier combinations (oneDNN on and NumPy without its AVX2 kernels, with one or two threads and the data
# one ulp up or down) showed where the first tolerance rule was too tight, and shaped the present one. Extra
# arguments go to pytest.
#
#   bash scripts/other_machine.sh                                   # every notebook (4 minutes on two workers at load 4; -n 0: one process, 8-10)
#   bash scripts/other_machine.sh notebooks/02_flow_zoo.ipynb       # one notebook
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/ensure_env.sh"
cd "$REPO"
export TF_ENABLE_ONEDNN_OPTS=1 TF_NUM_INTRAOP_THREADS=1 OMP_NUM_THREADS=1 FLOW_TUTORIALS_ULP_NUDGE=-1
if [ $# -eq 0 ]; then set -- notebooks/; fi
"$VENV_PY" -m pytest "$@"
