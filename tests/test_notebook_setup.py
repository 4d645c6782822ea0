"""helpers.notebook_setup: the version check reads clearly; TensorFlow imports quietly."""

import subprocess
import sys

from helpers.notebook_setup import TESTED_VERSIONS, installed_versions, version_mismatches


def test_installed_stack_is_the_tested_one():
    assert version_mismatches() == []


def test_mismatch_lines_name_package_found_and_tested():
    found = dict(installed_versions(), tensorflow="2.99.0", probflow=None)
    problems = version_mismatches(found)
    assert "tensorflow 2.99.0 is installed; this notebook was tested with 2.21.x" in problems
    assert "probflow is not installed (tested with 2.7.x)" in problems
    assert len(problems) == 2


def test_prefix_must_match_a_whole_release_part():
    found = dict(installed_versions(), tensorflow=TESTED_VERSIONS["tensorflow"] + "1.0")  # 2.211.0
    assert len(version_mismatches(found)) == 1


def test_setup_notebook_prints_one_line_and_nothing_on_stderr():
    code = ("from helpers.notebook_setup import setup_notebook; setup_notebook(); "
            "import tensorflow as tf, tensorflow_probability, probflow; tf.constant(1.0) + 1")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Written for tensorflow 2.21.x, tensorflow-probability 0.25.x, "
                                  "probflow 2.7.x; found ")
    assert done.stdout.count("\n") == 1
    assert done.stderr == ""
