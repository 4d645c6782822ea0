#!/usr/bin/env bash
# nbval over every notebook as if on another CPU, to check that the committed outputs and their tolerances hold
# there too. The tolerances come from scripts/float_noise.py, which changes float rounding one way at a time. This
# runs a combination that neither the measurements nor the tolerance rule were tuned on: TensorFlow's oneDNN kernels
# on, NumPy without its AVX2/FMA kernels, and every sampled data point one float32 ulp *down* (float_noise moves
# them up). Two earlier combinations (these plus one TensorFlow thread, with the ulp up or down) were used to set
# the rule's margin and its sharing of tolerances within a column. Extra arguments go to pytest.
#
#   bash scripts/other_machine.sh                                   # every notebook (8-10 minutes)
#   bash scripts/other_machine.sh notebooks/02_flow_zoo.ipynb       # one notebook
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/ensure_env.sh"
cd "$REPO"
export TF_ENABLE_ONEDNN_OPTS=1 NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL AVX512_SPR" \
       FLOW_TUTORIALS_ULP_NUDGE=-1
if [ $# -eq 0 ]; then set -- notebooks/; fi
"$VENV_PY" -m pytest "$@"
