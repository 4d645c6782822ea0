"""tests/results.py: expected results are read, and checked, as they are written; a broken one is refused."""

import re

import pytest

import results

METRICS = {"kl": 0.05, "gaussian_kl": 1.2, "results": {"MAF x5": {"banana": {"kl": 0.03}}}, "ok": True}


def write(tmp_path, text):
    path = tmp_path / "expected.toml"
    path.write_text(text)
    return path


def one_claim(tmp_path, says, check):
    """The single check of an expected-results file holding one claim of notebook 01_x."""
    (only,) = results.load(write(tmp_path, f'["01_x"]\n[["01_x".claim]]\nsays = "{says}"\ncheck = "{check}"\n'))["01_x"]
    return only


def test_a_metric_holds_within_its_tolerance_and_fails_outside_it(tmp_path):
    checks = results.load(write(tmp_path, '''
["01_x"]
[["01_x".metric]]
key = "results/MAF x5/banana/kl"
value = 0.028
tolerance = 0.005
why = "seeds 0-4"
'''))
    (check,) = checks["01_x"]
    assert results.evaluate(check, METRICS)[0]
    holds, message = results.evaluate(check, {"results": {"MAF x5": {"banana": {"kl": 0.04}}}})
    assert not holds and "OUTSIDE" in message and "0.04" in message and "seeds 0-4" in message
    holds, message = results.evaluate(check, {"results": {}})
    assert not holds and "no 'results/MAF x5/banana/kl'" in message
    assert not results.evaluate(check, {"results": {"MAF x5": {"banana": {"kl": float("nan")}}}})[0]


def test_a_claim_is_the_inequality_it_says_and_shows_the_values_it_read(tmp_path):
    check = one_claim(tmp_path, "the flow beats the Gaussian fivefold",
                      "v('kl') < v('gaussian_kl') / 5 and all(v(k) > 0 for k in ('kl', 'gaussian_kl'))")
    assert results.evaluate(check, METRICS) == (True, results.evaluate(check, METRICS)[1])
    holds, message = results.evaluate(check, dict(METRICS, kl=0.5))
    assert not holds and "DOES NOT HOLD" in message and "kl = 0.5" in message
    assert results.failures([check], dict(METRICS, kl=0.5)) == [message]


def test_a_claim_that_cannot_be_evaluated_does_not_hold(tmp_path):
    holds, message = results.evaluate(one_claim(tmp_path, "divides", "v('kl') / 0 > 1"), METRICS)
    assert not holds and "ZeroDivisionError" in message


@pytest.mark.parametrize("entry, message", [
    ('[["01_x".metric]]\nkey = "kl"\nvalue = 0.05\ntolerance = 0.01\n', "lacks ['why']"),
    ('[["01_x".metric]]\nkey = "kl"\nvalue = 0.05\ntolerance = 0.01\nwhy = " "\n', "lacks ['a reason']"),
    ('[["01_x".metric]]\nkey = "kl"\nvalue = 0.05\ntolerance = -1\nwhy = "x"\n', "tolerance must be >= 0"),
    ('[["01_x".claim]]\nsays = "x"\n', "lacks ['check']"),
    ('[["01_x".other]]\nsays = "x"\n', "only 'metric' and 'claim'"),
    ('[["01_x".claim]]\nsays = "x"\ncheck = "v("\n', "was never closed"),
])
def test_a_malformed_entry_stops_with_a_message(tmp_path, entry, message):
    with pytest.raises((ValueError, SyntaxError), match=re.escape(message)):
        results.load(write(tmp_path, '["01_x"]\n' + entry))


def test_the_same_check_twice_is_refused(tmp_path):
    entry = '[["01_x".claim]]\nsays = "x"\ncheck = "True"\n'
    with pytest.raises(ValueError, match="listed twice"):
        results.load(write(tmp_path, '["01_x"]\n' + entry + entry))


def test_the_packages_expected_results_load_and_give_every_metric_a_reason():
    checks = results.load()
    assert checks
    for notebook, listed in checks.items():
        assert any(c.kind == "metric" for c in listed) and any(c.kind == "claim" for c in listed), notebook
