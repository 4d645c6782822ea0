"""Test-suite settings shared by pytest, the papermill runs and nbval's kernels."""

import os

# Kernels started by nbval and papermill inherit this environment: no progress
# bars in outputs that are compared with (or become) committed outputs.
os.environ["FLOW_TUTORIALS_PROGRESS"] = "0"
