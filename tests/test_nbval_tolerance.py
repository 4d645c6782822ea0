"""The tolerant number comparison that conftest.py adds to nbval."""

import nbformat

from conftest import TOLERANCE_KEY, apply_tolerance, matches_within, numbers_in

TOL = {"1": 0.05, "2": 100}  # number 1: a KL; number 2: an epoch


def test_numbers_within_tolerance_and_their_padding_are_accepted():
    assert matches_within("MAF 4 KL 0.669 at epoch  30", "MAF 4 KL 0.700 at epoch 120", TOL)


def test_a_number_outside_its_tolerance_fails():
    assert not matches_within("MAF 4 KL 0.669 at epoch 30", "MAF 4 KL 0.800 at epoch 30", TOL)


def test_numbers_without_a_tolerance_must_be_equal():
    assert not matches_within("MAF 4 KL 0.669", "MAF 5 KL 0.669", TOL)
    assert matches_within("MAF 4 KL 0.669", "MAF 4 KL 0.669", {})


def test_other_text_or_another_count_of_numbers_fails():
    assert not matches_within("MAF 4 KL 0.669", "NSF 4 KL 0.669", TOL)
    assert not matches_within("MAF 4 KL 0.669", "MAF 4 KL 0.669 0.5", TOL)


def test_indices_count_across_outputs_and_durations_are_not_numbers():
    ref = [nbformat.v4.new_output("stream", name="stdout", text="fit 1 took 12.5 s\n"),
           nbformat.v4.new_output("execute_result", data={"text/plain": "KL 0.5"})]
    assert numbers_in(ref) == ["1", "0.5"]
    new = [nbformat.v4.new_output("stream", name="stdout", text="fit 1 took 9.0 s\n"),
           nbformat.v4.new_output("execute_result", data={"text/plain": "KL 0.54"})]
    aligned = apply_tolerance(new, ref, {"1": 0.05})
    assert aligned[1]["data"]["text/plain"] == "KL 0.5"
    assert new[1]["data"]["text/plain"] == "KL 0.54"  # the new outputs themselves are not modified
    assert apply_tolerance(new, ref, {"0": 0.05})[1]["data"]["text/plain"] == "KL 0.54"  # wrong index: reported


def test_nbval_uses_the_cell_metadata_key():
    from nbval.plugin import IPyNbCell

    assert IPyNbCell.compare_outputs.__module__ == "conftest"
    assert TOLERANCE_KEY == "nbval-tolerance"


def test_lines_are_aligned_one_by_one_so_a_failure_shows_only_its_own_line():
    ref = [nbformat.v4.new_output("stream", name="stdout", text="KL 0.50\nKL 0.60\n")]
    new = [nbformat.v4.new_output("stream", name="stdout", text="KL 0.52\nKL 0.90\n")]
    aligned = apply_tolerance(new, ref, {"0": 0.05, "1": 0.05})
    assert aligned[0]["text"] == "KL 0.50\nKL 0.90\n"


def test_a_failure_from_unexpected_stderr_shows_its_text():
    from conftest import unexpected_stderr

    out = nbformat.v4.new_output("stream", name="stdout", text="KL 0.10\n")
    err = nbformat.v4.new_output("stream", name="stderr", text="RuntimeWarning: overflow in exp\n")
    assert unexpected_stderr([out, err], [out]) == ["RuntimeWarning: overflow in exp\n"]
    assert unexpected_stderr([out, err], [out, err]) == []   # committed with stderr: nbval compares it itself
    assert unexpected_stderr([out], [out]) == []
