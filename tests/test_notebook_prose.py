"""What every notebook's prose owes a reader: it is about flows, and it ends the same way.

Each notebook ends with three sections, in this order: "How these numbers were obtained" (seeds, which choices
were made on validation data or development seeds, the spread; at most 300 words), "Exercises" (two to four,
each answerable by changing a parameter or a few lines) and "Credits" (the tutorials and papers it learned from,
with links). Outside the first of them, paragraphs about machines, CPUs, rounding, tolerances, test tools and
dates are at most 5 % of the words: the reader came for flows.
"""

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))

#: words that mark a paragraph as being about how numbers were produced rather than about flows
#: (the same pattern the project's before-stop hook counts with)
ABOUT_MACHINES = re.compile(r"AVX|oneDNN|\bulps?\b|\bCPUs?\b|rounding|toleranc|load average|EPYC|Xeon|nbval|2026-\d\d",
                            re.I)
ENDING = ["How these numbers were obtained", "Exercises", "Credits"]
MAX_SHARE, MAX_METHOD_WORDS = 0.05, 300


def sections(path):
    """(heading, text) of each level-2 section of the notebook's markdown; the title and intro come first."""
    cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]
    parts, heading, text = [], "", []
    for line in "\n\n".join(cells).splitlines():
        if line.startswith("## "):
            parts.append((heading, "\n".join(text)))
            heading, text = re.sub(r"^##\s+(\d+\.\s+)?", "", line).strip(), []
        else:
            text.append(line)
    parts.append((heading, "\n".join(text)))
    return parts


def paragraphs(text):
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_ends_with_how_the_numbers_were_obtained_exercises_and_credits(path):
    headings = [h for h, _ in sections(path)]
    assert headings[-3:] == ENDING, f"{path.name} ends with {headings[-3:]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_the_methods_section_is_short_and_the_rest_is_about_flows(path):
    parts = dict(sections(path))
    method_words = len(parts.get(ENDING[0], "").split())
    assert method_words <= MAX_METHOD_WORDS, f"{path.name}: '{ENDING[0]}' has {method_words} words"
    rest = [p for h, t in sections(path) if h != ENDING[0] for p in paragraphs(t)]
    total = sum(len(p.split()) for p in rest)
    about = [p for p in rest if ABOUT_MACHINES.search(p)]
    share = sum(len(p.split()) for p in about) / total
    assert share <= MAX_SHARE, (f"{path.name}: {share:.0%} of the prose outside '{ENDING[0]}' is about machines, "
                                f"rounding or tolerances; first such paragraph: {about[0][:160]!r}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_two_to_four_exercises_and_credits_with_links(path):
    parts = dict(sections(path))
    exercises = re.findall(r"(?m)^\s*(?:\d+\.|[-*])\s+\S", parts.get("Exercises", ""))
    assert 2 <= len(exercises) <= 4, f"{path.name}: {len(exercises)} exercises"
    assert re.search(r"\]\(https?://", parts.get("Credits", "")), f"{path.name}: credits without links"
