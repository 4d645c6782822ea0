"""helpers.plotting: each figure draws what it says, on the axes it says."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import plotting  # noqa: E402
from helpers.datasets import Banana  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_density_grid_covers_limits_in_row_major_order():
    points, shape, extent, area = plotting.density_grid(((0, 2), (-1, 1)), resolution=3)
    assert shape == (3, 3) and extent == (0, 2, -1, 1) and area == pytest.approx(1.0)
    assert points.dtype == np.float32
    np.testing.assert_array_equal(points[:3], [[0, -1], [1, -1], [2, -1]])  # x0 varies along a row


def test_density_comparison_shares_one_colour_scale():
    banana = Banana()
    points, shape, extent, _ = plotting.density_grid(banana.limits, resolution=40)
    log_p = banana.log_prob(points).reshape(shape)
    fig = plotting.plot_density_comparison(log_p - 0.1, log_p, extent)
    images = [ax.images[0] for ax in fig.axes[:3] if ax.images]
    assert len(images) == 3
    assert images[0].get_clim() == images[1].get_clim()
    assert images[0].get_clim()[1] == pytest.approx(np.exp(log_p).max())


def test_flow_steps_one_panel_per_stage_and_no_extra_axes_drawn():
    stages = [np.random.default_rng(i).normal(size=(10, 2)) for i in range(5)]
    fig = plotting.plot_flow_steps(stages, [f"s{i}" for i in range(5)], ncols=3)
    visible = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in visible] == ["s0", "s1", "s2", "s3", "s4"]


def test_loss_curves_and_bound():
    ax = plotting.plot_loss_curves({"a": [3.0, 2.0, 1.0]}, bound=0.5)
    assert len(ax.lines) == 2 and "0.5000" in ax.get_legend().get_texts()[1].get_text()


def test_flow_diagram_has_a_box_per_stage_plus_base_and_data():
    fig = plotting.draw_flow_diagram(["a", "b", "c"])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "a" in texts and "c" in texts and any("mathcal{N}" in t for t in texts)


def test_samples_over_data_labels_counts():
    ax = plotting.plot_samples_over_data(np.zeros((7, 2)), np.ones((9, 2)))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["data (7)", "flow samples (9)"]
