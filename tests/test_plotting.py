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


# The notebooks' figures are PNGs at 90 dpi. JupyterLab, GitHub and nbviewer shrink an image wider than the
# notebook column (about 900-1000 px), so a figure is only as readable as its text is at its displayed size:
# the figures below must fit the column at full size, with text of at least 10 px.
DPI = 90
COLUMN_PX = 920


def _pixels(points):
    return points * DPI / 72


def test_flow_steps_titles_readable_at_full_size_and_not_overlapping():
    titles = ["base $z \\sim \\mathcal{N}(0, I)$"] + [f"after {kind} {i}" for i in range(1, 8)
                                                       for kind in ("affine", "leaky ReLU")]
    titles += ["after affine 8", "data space (un-standardised)"]
    stages = [np.random.default_rng(i).normal(size=(50, 2)) * (i + 1) for i in range(len(titles))]
    fig = plotting.plot_flow_steps(stages, titles)
    fig.set_dpi(DPI)
    assert fig.get_size_inches()[0] * DPI <= COLUMN_PX
    renderer = fig.canvas.get_renderer()
    fig.draw(renderer)
    boxes = []
    for ax in fig.axes:
        if ax.axison:
            assert _pixels(ax.title.get_fontsize()) >= 10, ax.get_title()
            assert all(_pixels(t.get_fontsize()) >= 10 for t in ax.get_xticklabels() + ax.get_yticklabels())
            boxes.append(ax.title.get_window_extent(renderer))
    assert len(boxes) == len(titles)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), "two panel titles overlap"


def _diagram_stages(n_layers=8):
    stages = []
    for i in range(1, n_layers + 1):
        stages.append(f"affine {i}\n$Q(\\theta_{{{i}}})T_{{{i}}}z + b_{{{i}}}$")
        if i < n_layers:
            stages.append(f"leaky\nReLU {i}")
    return stages + ["un-\nstandardise"]


def test_loss_curves_and_bound():
    ax = plotting.plot_loss_curves({"a": [3.0, 2.0, 1.0]}, bound=0.5)
    assert len(ax.lines) == 2 and "0.5000" in ax.get_legend().get_texts()[1].get_text()


def test_flow_diagram_has_a_box_per_stage_plus_base_and_data():
    fig = plotting.draw_flow_diagram(["a", "b", "c"])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "a" in texts and "c" in texts and any("mathcal{N}" in t for t in texts)


def test_flow_diagram_of_notebook_01_fits_the_column_with_readable_text_inside_its_boxes():
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    stages = _diagram_stages()
    fig = plotting.draw_flow_diagram(stages)
    fig.set_dpi(DPI)
    assert fig.get_size_inches()[0] * DPI <= COLUMN_PX
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    fig.draw(renderer)
    assert all(_pixels(t.get_fontsize()) >= 10 for t in ax.texts)
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(boxes) == len(stages) + 2 and len(arrows) == len(boxes) - 1  # base, stages, data, chained
    labels = ax.texts[:len(boxes)]
    for box, label in zip(boxes, labels):
        outline, text = box.get_window_extent(renderer), label.get_window_extent(renderer)
        assert outline.x0 < text.x0 and text.x1 < outline.x1 and outline.y0 < text.y0 and text.y1 < outline.y1, \
            f"label {label.get_text()!r} sticks out of its box"
    extents = [b.get_window_extent(renderer) for b in boxes]
    for i, a in enumerate(extents):
        for b in extents[i + 1:]:
            assert not a.overlaps(b), "two boxes overlap"
    for caption in ax.texts[len(boxes):]:  # the captions are inside the figure
        extent = caption.get_window_extent(renderer)
        assert extent.x0 >= 0 and extent.x1 <= fig.bbox.width, caption.get_text()


def test_samples_over_data_labels_counts():
    ax = plotting.plot_samples_over_data(np.zeros((7, 2)), np.ones((9, 2)))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["data (7)", "flow samples (9)"]


# --- posterior over densities (03_bayesian_flow) ----------------------------------------------

def _spread_images(fig):
    return [ax.images[0] for ax in fig.axes if ax.images]


def test_spread_maps_default_scale_spans_every_value_and_clips_nothing():
    rng = np.random.default_rng(0)
    maps = {"a": np.exp(rng.normal(size=(20, 20))), "b": 50.0 * np.exp(rng.normal(size=(20, 20)))}
    low = np.zeros((20, 20), dtype=bool)
    low[:3] = True
    fig = plotting.plot_spread_maps(maps, (0, 1, 0, 1), low=low, central=~low)
    images = _spread_images(fig)
    assert len(images) == 2 and images[0].get_clim() == images[1].get_clim()
    vmin, vmax = images[0].get_clim()
    assert vmin == pytest.approx(min(m.min() for m in maps.values()))
    assert vmax == pytest.approx(max(m.max() for m in maps.values()))
    assert images[-1].colorbar.extend == "neither"  # the one colour bar, drawn for the last panel


@pytest.mark.parametrize("value_range, extend", [((0.5, 5.0), "max"), ((2.0, 50.0), "min"),
                                                 ((2.0, 5.0), "both"), ((0.5, 50.0), "neither")])
def test_spread_maps_colour_bar_shows_clipping(value_range, extend):
    spread = np.array([[1.0, 3.0], [10.0, 20.0]])
    fig = plotting.plot_spread_maps({"a": spread}, (0, 1, 0, 1), value_range=value_range)
    image = _spread_images(fig)[0]
    assert image.get_clim() == value_range
    assert image.colorbar.extend == extend


def test_spread_maps_refuse_values_a_log_scale_cannot_show():
    with pytest.raises(ValueError, match="positive"):
        plotting.plot_spread_maps({"a": np.zeros((3, 3))}, (0, 1, 0, 1))
    with pytest.raises(ValueError, match="finite"):
        plotting.plot_spread_maps({"a": np.full((3, 3), np.nan)}, (0, 1, 0, 1))


def test_predictive_density_shares_the_exact_density_scale():
    banana = Banana()
    points, shape, extent, _ = plotting.density_grid(banana.limits, resolution=30)
    log_p = banana.log_prob(points).reshape(shape)
    fig = plotting.plot_predictive_density(log_p - 0.2, log_p, extent, data=np.zeros((5, 2)))
    images = _spread_images(fig)
    assert len(images) == 2 and images[0].get_clim() == images[1].get_clim() == (0.0, np.exp(log_p).max())


def _curves():
    sizes = [256, 512, 1024]
    return {"ring": {"realnvp": {n: 1.0 / n ** 0.5 for n in sizes}, "kde": {n: 0.5 / n ** 0.3 for n in sizes}},
            "funnel": {"realnvp": {n: 0.1 for n in sizes}, "kde": {256: 0.2, 512: -0.01, 1024: 0.05}},
            "banana": {"realnvp": {n: 0.05 for n in sizes}}}


def test_learning_curves_one_panel_per_data_set_log_axes_and_every_point():
    fig = plotting.plot_learning_curves(_curves(), labels={"realnvp": "RealNVP", "kde": "KDE"})
    visible = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title().split(" ")[0] for ax in visible] == ["ring", "funnel", "banana"]
    assert len(fig.axes) == 4 and not fig.axes[3].axison  # 2 x 2 grid, the fourth panel unused
    ring = visible[0]
    assert (ring.get_xscale(), ring.get_yscale()) == ("log", "log")
    lines = {line.get_label(): line for line in ring.get_lines()}
    np.testing.assert_allclose(lines["RealNVP"].get_xdata(), [256, 512, 1024])
    np.testing.assert_allclose(lines["RealNVP"].get_ydata(), [1 / 16, 1 / 512 ** 0.5, 1 / 32])
    assert lines["RealNVP"].get_linestyle() == "-" and lines["KDE"].get_linestyle() == "--"
    # one colour per model in every panel
    funnel = {line.get_label(): line for line in visible[1].get_lines() if not line.get_label().startswith("_")}
    assert funnel["KDE"].get_color() == lines["KDE"].get_color()
    assert [t.get_text() for t in ring.get_legend().get_texts()] == ["RealNVP", "KDE"]


def test_learning_curves_show_a_kl_below_zero_at_the_floor_and_say_so():
    fig = plotting.plot_learning_curves(_curves())
    funnel = fig.axes[1]
    assert funnel.get_title() == "funnel (1 KL <= 0 drawn at the floor)"
    kde = next(line for line in funnel.get_lines() if line.get_label() == "kde")
    floor = 0.05 / 2
    np.testing.assert_allclose(kde.get_ydata(), [0.2, floor, 0.05])
    assert fig.axes[0].get_title() == "ring"


def test_learning_curves_fit_the_column_with_readable_text():
    curves = {name: _curves()["ring"] for name in ("banana", "ring", "checkerboard", "funnel")}
    fig = plotting.plot_learning_curves(curves)
    fig.set_dpi(DPI)
    assert fig.get_size_inches()[0] * DPI <= COLUMN_PX
    for ax in fig.axes:
        assert _pixels(ax.title.get_fontsize()) >= 10
        assert _pixels(ax.xaxis.label.get_fontsize()) >= 10


def test_figure_size_caps_the_width_at_the_notebook_column_and_keeps_the_shape():
    from helpers.plotting import COLUMN_WIDTH, figure_size
    assert figure_size(8.0, 3.0) == (8.0, 3.0)
    w, h = figure_size(13.0, 3.9)
    assert w == COLUMN_WIDTH and abs(h / w - 3.9 / 13.0) < 1e-12
