"""Test-suite settings shared by pytest, the papermill runs and nbval's kernels.

It also teaches nbval one thing: numbers compared within a tolerance. A fit of
hundreds of steps turns the last-bit rounding differences between CPUs into
visibly different results (measured with ``scripts/float_noise.py``). A code cell
whose metadata holds

    "nbval-tolerance": [["KL +(\\d+\\.\\d+)", 0.05], ["at epoch +(\\d+)", 200]]

has each listed number (the regular expression's one group; matches paired in
order between the committed and the new output) accepted when it is within the
absolute tolerance of the committed one. Everything else in the cell's output,
other numbers included, must still match exactly, and a number outside its
tolerance fails as before. ``tests/test_float_noise.py`` checks that every
tolerance covers the spread measured for its numbers.
"""

from __future__ import annotations

import copy
import os
import re

# Kernels started by nbval and papermill inherit this environment: no progress
# bars in outputs that are compared with (or become) committed outputs.
os.environ["FLOW_TUTORIALS_PROGRESS"] = "0"

TOLERANCE_KEY = "nbval-tolerance"


def within_tolerance(reference: str, new: str, rules) -> str:
    """``new`` with each number that a rule covers replaced by the reference's, if within tolerance.

    ``rules`` is a list of ``[pattern, tolerance]``; each pattern has one group,
    the number. A match within tolerance is replaced as a whole, so padding
    that depends on the number's width (``at epoch  30`` / ``at epoch 120``) is
    covered by a pattern that includes it. When a rule matches a different number of times in the two
    texts, or a pair differs by more than its tolerance, those numbers are left
    as they are, so the comparison that follows reports them.
    """
    for pattern, tolerance in rules:
        regex = re.compile(pattern)
        ref_matches, new_matches = list(regex.finditer(reference)), list(regex.finditer(new))
        if len(ref_matches) != len(new_matches):
            continue
        pieces, last = [], 0
        for ref_m, new_m in zip(ref_matches, new_matches):
            if abs(float(ref_m.group(1)) - float(new_m.group(1))) <= tolerance:
                pieces += [new[last:new_m.start()], ref_m.group(0)]  # the whole match: padding too
                last = new_m.end()
        new = "".join(pieces) + new[last:]
    return new


def _output_texts(output):
    "(key, text) pairs of one output that nbval compares as text."
    if "text" in output:
        yield ("text",), output["text"]
    for mime, value in output.get("data", {}).items():
        if mime.startswith("text/"):
            yield ("data", mime), value


def apply_tolerance(new_outputs, reference_outputs, rules):
    """Copies of ``new_outputs`` whose numbers within tolerance read as in ``reference_outputs``."""
    new_outputs = copy.deepcopy(new_outputs)
    for new, ref in zip(new_outputs, reference_outputs):
        if new.get("output_type") != ref.get("output_type") or new.get("name") != ref.get("name"):
            continue
        ref_texts = dict(_output_texts(ref))
        for key, text in list(_output_texts(new)):
            if key in ref_texts and isinstance(text, str) and isinstance(ref_texts[key], str):
                aligned = within_tolerance(ref_texts[key], text, rules)
                if key == ("text",):
                    new["text"] = aligned
                else:
                    new["data"][key[1]] = aligned
    return new_outputs


def _install_nbval_tolerance():
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:  # nbval not installed: nothing to extend
        return
    compare = IPyNbCell.compare_outputs

    def compare_outputs(self, test, ref, skip_compare=None):
        rules = self.cell.metadata.get(TOLERANCE_KEY)
        if rules:
            test = apply_tolerance(test, ref, rules)
        return compare(self, test, ref, skip_compare)

    IPyNbCell.compare_outputs = compare_outputs


_install_nbval_tolerance()
