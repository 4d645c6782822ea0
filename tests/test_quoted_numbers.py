"""Numbers that prose quotes must be the numbers the code prints.

The README and the notebooks' markdown quote headline results of seed 0 and
parameters of other notebooks. Each quote below is matched by a regular
expression in the text that quotes it and compared with what the committed
notebook prints (or, for parameters, with its parameters cell). The committed
outputs are those of the committed code (tests/test_committed_runs.py); this
test checks that the prose says the same.
"""

import re
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent


def notebook(name):
    return nbformat.read(REPO / "notebooks" / f"{name}.ipynb", as_version=4)


def outputs_text(name):
    "Every text output of the notebook's code cells, in order."
    parts = []
    for cell in notebook(name).cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                parts.append(out["text"])
            parts += [v for k, v in out.get("data", {}).items() if k == "text/plain"]
    return "\n".join(parts)


def markdown_text(name):
    return "\n".join(c.source for c in notebook(name).cells if c.cell_type == "markdown")


def parameters_text(name):
    return next(c.source for c in notebook(name).cells if "parameters" in c.metadata.get("tags", []))


SOURCES = {"outputs": outputs_text, "markdown": markdown_text, "parameters": parameters_text}


def text_of(where):
    if where == "README":
        return (REPO / "README.md").read_text()
    kind, name = where.split(":")
    return SOURCES[kind](name)


#: (what, where it is quoted, pattern there, where it comes from, pattern there); the patterns' groups are compared.
#: notebook 09's printed seed-0 KLs: its PyTorch fit, then notebook 01's TensorFlow fit in the same run
TORCH_AND_TF_KL = r"PyTorch transforms \(this notebook\) +(0\.\d+) ±[\s\S]*?TFP bijectors \(notebook 01\) +(0\.\d+) ±"

QUOTES = [
    ("zoo: the ensemble's KL on the banana (README)",
     "README", r"banana: (0\.\d+) nats for the five-MAF ensemble",
     "outputs:02_flow_zoo", r"MAF x5 ensemble +(0\.\d+) ±"),
    ("zoo: seed 0 of the per-seed banana table",
     "markdown:02_flow_zoo", r"\| 0 \| (\S+) \| (\S+) \| (\S+) \| (\S+) \| (\S+) \|",
     "outputs:02_flow_zoo",
     r"banana +RealNVP +(\S+) [\s\S]*?banana +MAF +(\S+) [\s\S]*?banana +NSF +(\S+) [\s\S]*?"
     r"(?=[\s\S]*?one flow, same recipe +(\S+)\n)MAF x5 ensemble +(\S+) ±"),
    ("zoo: the ensemble's members at seed 0",
     "markdown:02_flow_zoo", r"\| 0 \|(?: \S+ \|){5} (\S+)–(\S+) \|",
     "outputs:02_flow_zoo", lambda: members_range()),  # min and max of the members' KLs
    ("core: the README's headline KL and Gaussian",
     "README", r"held-out KL\(p‖q\) = (0\.\d+) nats on the banana \(a Gaussian: (\d\.\d\d)\)",
     "outputs:01_normalizing_flows", r"KL\(p \|\| q\) = (0\.\d+) ± [\s\S]*?Gaussian: KL\(p \|\| q\) = (\d\.\d\d)"),
    ("Bayesian flow: notebook 01's epochs and learning rate, as notebook 03 quotes them",
     "markdown:03_bayesian_flow", r"notebook 01 gives its flow ([\d,]+) epochs at a peak learning rate of\s+([\d.]+)",
     "parameters:01_normalizing_flows", r"epochs = (\d+)[\s\S]*?learning_rate = ([\d.]+)"),
    ("Bayesian flow: the spread of log q, low-data and central, and their ratio",
     "markdown:03_bayesian_flow", r"differ by (\d\.\d\d) nats on average[\s\S]*?([\d.]+) times the (0\.\d+) nats",
     "outputs:03_bayesian_flow", r"low-data region (\d\.\d\d) nats, (?=central region 0\.\d+ nats, ratio ([\d.]+))"
                                r"central region (0\.\d+) nats"),
    ("Bayesian flow: the spread ratio under the untrained posterior (the control)",
     "markdown:03_bayesian_flow", r"Its ratio is (\d+\.\d), as large",
     "outputs:03_bayesian_flow", r"untrained posterior \(sd [\d.]+ on every weight\):[^\n]*ratio ([\d.]+)"),
    ("core: the sharp- and rounded-corner fits' corners off the data, seed 0",
     "markdown:01_normalizing_flows", r"At seed 0, (\d+) of the 14 corners of the sharp-corner fit[\s\S]*?against (\d+) of 14",
     "outputs:01_normalizing_flows", r"(?=[\s\S]*?sharp corners, fitted: (\d+) of 14)rounded corners, fitted: (\d+) of 14"),
    ("Bayesian flow: seed 0 of the seeds 0-4 table, N = 512",
     "markdown:03_bayesian_flow", r"\| 0 \|[^|]*\| (0\.\d+) / (0\.\d+) \(([−+]0\.\d+)\)",
     "outputs:03_bayesian_flow", r"\n +512 \| +(0\.\d+) \| +0\.\d+ \| +(0\.\d+) \| +([-+]0\.\d+) \|"),
    ("zoo: the README and section 9 agree on the ensemble",
     "README", r"banana: (0\.\d+) nats for the five-MAF ensemble",
     "markdown:02_flow_zoo", r"\| 0 \|(?: \S+ \|){4} (\S+) \|"),
    ("conditional: the README's seed-0 conditional KLs of the flow and the MDN on the banana",
     "README", r"conditional KL on the banana: flow (\S+), MDN (\S+) nats",
     "outputs:04_conditional_flows",
     r"(?=[\s\S]*?\nconditional flow +\S+ +\S+ +(\S+)\n)(?=[\s\S]*?\nMDN \(5\) +\S+ +\S+ +(\S+)\n)"),
    ("conditional: seed 0 of the per-seed table, flow and MDN",
     "markdown:04_conditional_flows", r"\| 0 \| (\S+) \((\S+)\) \| (\S+) \((\S+)\) \| (\S+) \((\S+)\) \|",
     "outputs:04_conditional_flows", lambda: flow_and_mdn_by_data_set()),
    ("inference: eight schools in the README, Pareto k-hat of the RealNVP and of ProbFlow's mean-field",
     "README", r"Pareto k̂ = (0\.\d+) for a RealNVP posterior, (0\.\d+) for ProbFlow's mean-field",
     "outputs:05_flows_for_inference",
     r"(?=[\s\S]*?\nRealNVP +(?:\S+ ± \S+ +){3}0\.\d+ +(0\.\d+) )\nProbFlow mean-field +(?:\S+ ± \S+ +){3}0\.\d+ +(0\.\d+) "),
    ("inference: seed 0 of the seeds 0-4 table, ProbFlow's mean-field and RealNVP's k-hat",
     "markdown:05_flows_for_inference", r"\| 0 \|(?: [^|]+ \|){3} 0\.\d+, (0\.\d\d) \| (0\.\d\d), (0\.\d\d) \|",
     "outputs:05_flows_for_inference",
     r"(?=[\s\S]*?\nRealNVP +(?:\S+ ± \S+ +){3}0\.\d+ +(0\.\d+) )\nProbFlow mean-field +(?:\S+ ± \S+ +){3}(0\.\d+) +(0\.\d+) "),
    ("PyTorch backend: the README's seed-0 KLs of the PyTorch fit and of notebook 01's code in the same run",
     "README", r"PyTorch fit (0\.\d+) nats, notebook 01's TensorFlow fit in the same run (0\.\d+)",
     "outputs:09_pytorch_backend",
     TORCH_AND_TF_KL),
    ("PyTorch backend: seed 0 of the ten-seed table",
     "markdown:09_pytorch_backend", r"\| 0 \| (0\.\d+) \| (0\.\d+) \|",
     "outputs:09_pytorch_backend",
     TORCH_AND_TF_KL),
    ("PyTorch backend: the README's largest cross-backend difference at seed 0",
     "README", r"log-densities (\d\.\de-\d\d) nats apart at most",
     "outputs:09_pytorch_backend", r"\|log q_torch - log q_tf\| on [\d,]+ points: largest (\d\.\de-\d\d) nats"),
]


CROSSING = r"(from N = [\d,]+|never)"
for _name in ("banana", "ring", "checkerboard", "funnel"):
    QUOTES.append((
        f"learning curve: where each flow overtakes the KDE on the {_name}, as section 5 says it",
        "markdown:06_learning_curve", rf"\*\*{_name}\*\*: RealNVP {CROSSING}, MAF {CROSSING}, NSF {CROSSING}\.",
        "outputs:06_learning_curve", lambda name=_name: crossings_from_gaps(name)))
QUOTES.append((
    "learning curve: the README's headline, the flow chosen by validation NLL against the KDE at 8,192 points",
    "README", r"at 8,192 points: banana flow (\S+), KDE (\S+) nats",
    "outputs:06_learning_curve", lambda: best_flow_and_kde()[::4][:2]))

QUOTES.append((
    "image flows: the README's headline, the flow chosen on validation, the categorical and the autoregressive model",
    "README", r"flow (\d\.\d\d) bits/dim, per-pixel histogram (\d\.\d\d), autoregressive baseline (\d\.\d\d)",
    "outputs:08_image_flows", lambda: image_flow_headline()))


def image_flow_headline():
    """Notebook 08's printed table of test bits/dim, rounded to two decimals as the README quotes them: the flow with
    the lowest validation bits/dim (as the notebook names it), the categorical, the autoregressive model."""
    text = outputs_text("08_image_flows")
    best = re.search(r"flow with the lowest validation bits/dim: (\w+)", text).group(1)
    values = [float(re.search(r"\n" + name + r" +(\d\.\d+) ", text).group(1))
              for name in (best, "categorical", "autoregressive")]
    return tuple(f"{v:.2f}" for v in values)


QUOTES.append((
    "continuous flows: the README's headline, the mixture-base spline flow and the KDE on the checkerboard",
    "README", r"spline flow on a mixture base (0\.\d+) nats on the checkerboard, KDE (0\.\d+)",
    "outputs:07_continuous_flows",
    r"checkerboard, N = 8,192:[^\n]*\n  KDE +(?=[\s\S]*?\n  NSF, mixture base +(0\.\d+) ±)(0\.\d+) ±"))


def crossings_from_gaps(name):
    """Where each flow overtakes the KDE on data set ``name``, read off notebook 06's printed table of KL gaps
    (flow minus KDE, one column per N): from the smallest N from which every printed gap is negative. The sign
    survives the rounding to two decimals ("-0.00" is a flow ahead by less than 0.005)."""
    text = outputs_text("06_learning_curve")
    sizes = [int(n) for n in re.search(r"\ndata set +flow +([\d ]+)\n", text).group(1).split()]
    said = []
    for flow in ("RealNVP", "MAF", "NSF"):
        gaps = re.search(rf"\n{name} +{flow} +([-\d. ]+)\n", text).group(1).split()
        below = [g.startswith("-") for g in gaps]
        start = next((n for i, n in enumerate(sizes) if all(below[i:])), None)
        said.append("never" if start is None else f"from N = {start}")
    return tuple(said)


def best_flow_and_kde():
    """Notebook 06's table at the largest size: per data set the KL of the flow with the lowest printed validation
    NLL, then the KDE's KL."""
    text = outputs_text("06_learning_curve").split("each flow's validation NLL and held-out KL")[1]
    chosen, kde = [], []
    for name in ("banana", "ring", "checkerboard", "funnel"):
        rows = re.findall(rf"\n{name} +(?:RealNVP|MAF|NSF) +(\S+) +(\S+) +(\S+)(?=\n)", text)
        assert len(rows) == 3, f"notebook 06 prints {len(rows)} flows for {name} at the largest size"
        chosen.append(min(rows, key=lambda r: float(r[0]))[1])
        kde.append(rows[0][2])
    return tuple(chosen) + tuple(kde)


def flow_and_mdn_by_data_set():
    "Notebook 04's printed KL table, as (flow, MDN) for each data set in turn."
    text = outputs_text("04_conditional_flows")
    flow, mdn = (re.search(rf"\n{label} +(\S+) +(\S+) +(\S+)\n", text).groups()
                 for label in ("conditional flow", r"MDN \(5\)"))
    return tuple(v for pair in zip(flow, mdn) for v in pair)


def ring_mode_shares():
    "The annealed mixture's share of the emptiest ring mode, and the largest such share of a single flow, in %."
    text = outputs_text("05_flows_for_inference")
    smallest = {name: float(re.search(rf"\n{re.escape(name)} +(0\.\d+) ", text).group(1))
                for name in ("mixture, annealed", "RealNVP", "NSF")}
    return f"{100 * smallest['mixture, annealed']:.1f}", f"{100 * max(smallest['RealNVP'], smallest['NSF']):.1f}"


def members_range():
    found = re.search(r"its members alone +([\d. ]+)\n", outputs_text("02_flow_zoo"))
    values = [float(v) for v in found.group(1).split()]
    return f"{min(values):.2f}", f"{max(values):.2f}"


@pytest.mark.parametrize("what, quoted_in, quote, source, pattern", QUOTES, ids=[q[0] for q in QUOTES])
def test_quoted_numbers_are_the_printed_ones(what, quoted_in, quote, source, pattern):
    quoted = re.search(quote, text_of(quoted_in))
    assert quoted, f"{what}: no quote matching {quote!r} in {quoted_in}"
    if callable(pattern):
        expected = pattern()
    else:
        printed = re.search(pattern, text_of(source))
        assert printed, f"{what}: nothing matching {pattern!r} in {source}"
        expected = printed.groups()
    said = tuple(g.replace(",", "").replace("−", "-") for g in quoted.groups())  # prose: "1,000", "−0.001"
    assert said == expected, f"{what}: {quoted_in} says {quoted.groups()}, {source} has {expected}"
