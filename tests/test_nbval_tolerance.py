"""The tolerant number comparison that conftest.py adds to nbval."""

import nbformat

from conftest import TOLERANCE_KEY, apply_tolerance, within_tolerance

RULES = [[r"KL +(\d+\.\d+)", 0.05], [r"at epoch +(\d+)", 100]]


def test_numbers_within_tolerance_read_as_the_reference():
    ref = "MAF ring KL 0.669 at epoch  30 (264 weights)"
    new = "MAF ring KL 0.700 at epoch 120 (264 weights)"
    assert within_tolerance(ref, new, RULES) == ref


def test_a_number_outside_its_tolerance_is_left_to_fail():
    ref = "KL 0.669 at epoch 30"
    new = "KL 0.800 at epoch 40"
    assert within_tolerance(ref, new, RULES) == "KL 0.800 at epoch 30"


def test_numbers_no_rule_covers_are_compared_exactly():
    ref = "KL 0.669 (264 weights)"
    new = "KL 0.670 (265 weights)"
    assert within_tolerance(ref, new, RULES) == "KL 0.669 (265 weights)"


def test_a_different_number_of_matches_leaves_the_text_alone():
    ref = "KL 0.669\nKL 0.590"
    new = "KL 0.669"
    assert within_tolerance(ref, new, RULES) == new


def test_several_matches_are_paired_in_order():
    ref = "KL 0.10 KL 0.50"
    new = "KL 0.12 KL 0.70"
    assert within_tolerance(ref, new, RULES) == "KL 0.10 KL 0.70"


def test_outputs_of_both_kinds_are_aligned_and_the_new_ones_are_not_modified():
    ref = [nbformat.v4.new_output("stream", name="stdout", text="KL 0.669\n"),
           nbformat.v4.new_output("execute_result", data={"text/plain": "KL 0.5"})]
    new = [nbformat.v4.new_output("stream", name="stdout", text="KL 0.690\n"),
           nbformat.v4.new_output("execute_result", data={"text/plain": "KL 0.6"})]
    aligned = apply_tolerance(new, ref, [[r"KL (\d+\.\d+)", 0.05]])
    assert aligned[0]["text"] == "KL 0.669\n"
    assert aligned[1]["data"]["text/plain"] == "KL 0.6"  # 0.1 apart: still reported
    assert new[0]["text"] == "KL 0.690\n"


def test_nbval_uses_the_cell_metadata_key():
    from nbval.plugin import IPyNbCell

    assert IPyNbCell.compare_outputs.__module__ == "conftest"
    assert TOLERANCE_KEY == "nbval-tolerance"
