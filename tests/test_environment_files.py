"""requirements.txt (pip) and environment.yml (conda, Binder) must pin the same stack."""

import re
from pathlib import Path

from helpers.notebook_setup import TESTED_VERSIONS

REPO = Path(__file__).resolve().parent.parent


def _pins(lines):
    pins = {}
    for line in lines:
        line = line.split("#", 1)[0].strip().lstrip("- ").strip()
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def _requirements():
    return (REPO / "requirements.txt").read_text().splitlines()


def _environment_pip_section():
    lines, inside = [], False
    for line in (REPO / "environment.yml").read_text().splitlines():
        if re.match(r"\s*-\s*pip:\s*$", line):
            inside = True
        elif inside and re.match(r"\s+-\s", line):
            lines.append(line)
        elif inside and line.strip():
            inside = False
    return lines


def test_every_requirement_is_pinned_exactly():
    for line in _requirements():
        line = line.split("#", 1)[0].strip()
        if line and line != "-e .":
            assert "==" in line, f"requirements.txt: {line!r} is not pinned with =="


def test_requirements_and_environment_agree():
    req, env = _pins(_requirements()), _pins(_environment_pip_section())
    assert req, "no pins found in requirements.txt"
    assert req == env
    assert ("-e ." in [l.strip() for l in _requirements()]) and any(
        l.strip() == "- -e ." for l in _environment_pip_section())


def test_environment_python_matches_the_tested_one():
    assert re.search(r"^\s*-\s*python=3\.11\s*$", (REPO / "environment.yml").read_text(), re.M)


def test_no_tensorflow_cpu_next_to_tensorflow():
    """tf-keras depends on the full tensorflow; tensorflow-cpu on top only adds ~600 MB."""
    assert "tensorflow-cpu" not in _pins(_requirements())


def test_notebook_version_check_matches_the_pins():
    req = _pins(_requirements())
    for name, series in TESTED_VERSIONS.items():
        assert req[name].startswith(series + "."), (name, req[name], series)
