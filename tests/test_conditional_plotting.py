"""Figures of helpers.conditional_plotting: they draw what they are given, on the axes they are given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import conditional_plotting as cplot  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_conditional_curves_one_panel_per_x_with_exact_and_each_model():
    y = np.linspace(-3, 3, 50)
    exact = np.stack([-0.5 * (y - m) ** 2 for m in (0.0, 1.0)])
    fig = cplot.plot_conditional_curves(y, exact, {"flow": exact, "mdn": exact - 0.1}, [0.0, 1.0], labels={"flow": "F"})
    axes = fig.axes
    assert len(axes) == 2
    assert [line.get_label() for line in axes[1].get_lines()] == ["exact", "F", "mdn"]
    np.testing.assert_allclose(axes[1].get_lines()[0].get_ydata(), np.exp(exact[1]))
    assert not any(ax.get_legend() for ax in axes)   # no legend over the curves: one for the figure, below them
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["exact", "F", "mdn"]


def test_slices_share_one_colour_scale():
    x, y = np.linspace(-2, 2, 7), np.linspace(-1, 1, 5)
    panels = {"exact": np.zeros((5, 7)), "flow": np.full((5, 7), -1.0)}
    fig = cplot.plot_slices_through_x(x, y, panels)
    images = [im for ax in fig.axes for im in ax.get_images()]
    assert len(images) == 2 and all(im.get_clim() == (0.0, 1.0) for im in images)
    assert images[0].get_array().shape == (5, 7)


def test_samples_coverage_and_histograms_draw_on_given_axes():
    fig, axes = plt.subplots(1, 3)
    rng = np.random.default_rng(0)
    cplot.plot_samples_over_pairs(rng.random((10, 1)), rng.random(10), rng.random((20, 1)), rng.random(20), ax=axes[0])
    cplot.plot_coverage_curves({"flow": (np.linspace(0, 1, 5), np.linspace(0, 1, 5))}, ax=axes[1])
    cplot.plot_rank_histograms({"flow": (np.linspace(0, 1, 3), np.ones(2))}, ax=axes[2])
    assert len(axes[0].collections) == 2
    assert len(axes[1].get_lines()) == 2   # the diagonal and one model
    assert len(fig.axes) == 3


def test_samples_in_y_one_panel_per_x():
    rng = np.random.default_rng(1)
    draws = {x: rng.standard_normal((30, 2)) for x in (-1.0, 1.0)}
    fig = cplot.plot_samples_in_y(draws, draws, ((-3, 3), (-3, 3)))
    assert len(fig.axes) == 2 and fig.axes[0].get_xlim() == (-3, 3)
    assert not any(ax.get_legend() for ax in fig.axes) and len(fig.legends) == 1


def test_density_columns_one_colour_scale_per_column_and_no_panel_clipped():
    rng = np.random.default_rng(2)
    rows = [[rng.normal(size=(6, 6)) + shift for shift in (0.0, 1.0, -1.0)] for _ in range(3)]
    rows[2][1] = rows[2][1] + 3.0   # one model much denser than the others at the second x
    fig = cplot.plot_density_columns(rows, (0, 1, 0, 1), ["exact", "a", "b"], ["x = -1", "x = 0", "x = 1"])
    grid = np.array(fig.axes[:9]).reshape(3, 3)
    for j in range(3):
        tops = {grid[i, j].get_images()[0].get_clim() for i in range(3)}
        assert len(tops) == 1   # one scale per column
        (low, top), = tops
        assert low == 0.0 and top == pytest.approx(max(np.exp(rows[i][j]).max() for i in range(3)))
    assert len(fig.axes) == 9 + 3   # one colour bar per column
    assert fig.get_size_inches()[0] <= 10.0


def test_conditional_flow_diagram_has_a_box_per_stage_and_network():
    fig = cplot.draw_conditional_flow_diagram(["a", "b"], ["net(x)", "net(x)"])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("net(x)") == 2 and "a" in texts and "b" in texts and "$y$" in texts
    fig = cplot.draw_conditional_flow_diagram(["a"], ["net(x)"], base_label="mixture", base_network="net(x)")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("net(x)") == 2 and "mixture" in texts
