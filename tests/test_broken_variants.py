"""scripts/broken_variants.py can still break what it means to: each variant's text is in exactly one code cell.

Running the variants re-executes notebooks (minutes each; docs/testing.md). This only checks that a notebook edit
has not left a variant pointing at code that is gone, which would make the script stop instead of proving that the
suite catches the breakage."""

import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
from broken_variants import VARIANTS  # noqa: E402


@pytest.mark.parametrize("name", VARIANTS)
def test_variant_text_is_in_exactly_one_code_cell(name):
    notebook, old, new, _ = VARIANTS[name]
    cells = [c.source for c in nbformat.read(REPO / notebook, as_version=4).cells if c.cell_type == "code"]
    assert sum(s.count(old) for s in cells) == 1 and old != new, f"{notebook}: {old!r}"
