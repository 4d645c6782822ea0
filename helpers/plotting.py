"""Figures the notebooks share: data, samples, density grids, flow steps, losses, diagrams.

Every function draws on Matplotlib axes and returns the figure (or axes), so a
notebook cell can end with ``;`` and show only the picture.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

DATA_STYLE = dict(s=4, alpha=0.5, color="tab:blue", linewidths=0)
SAMPLE_STYLE = dict(s=4, alpha=0.5, color="tab:orange", linewidths=0)
#: inches: the widest figure shown at full size in a notebook column (900 px at the notebooks' 90 dpi), so its
#: text is drawn at the point sizes asked for instead of being shrunk with the picture
COLUMN_WIDTH = 10.0


def figure_size(width: float, height: float) -> tuple[float, float]:
    """``(width, height)`` in inches, scaled down together so that the width is at most ``COLUMN_WIDTH``."""
    scale = min(1.0, COLUMN_WIDTH / width)
    return width * scale, height * scale


def density_grid(limits, resolution: int = 200):
    """A regular grid over ``limits = ((x0_min, x0_max), (x1_min, x1_max))``.

    Returns ``(points, shape, extent, cell_area)``: ``points`` is a float32 array
    ``(resolution**2, 2)`` to evaluate a density on; reshape values with
    ``shape`` and draw them with ``imshow(..., extent=extent, origin="lower")``.
    """
    (a0, b0), (a1, b1) = limits
    g0 = np.linspace(a0, b0, resolution)
    g1 = np.linspace(a1, b1, resolution)
    xx, yy = np.meshgrid(g0, g1)
    points = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32)
    cell_area = (g0[1] - g0[0]) * (g1[1] - g1[0])
    return points, xx.shape, (a0, b0, a1, b1), cell_area


def _label(ax, limits=None):
    ax.set_xlabel("$x_0$")
    ax.set_ylabel("$x_1$")
    if limits is not None:
        ax.set_xlim(*limits[0])
        ax.set_ylim(*limits[1])


def plot_data(x, limits=None, title="Training data", ax=None):
    """Scatter plot of a 2-D data set."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4))
    ax.scatter(x[:, 0], x[:, 1], **DATA_STYLE)
    ax.set_title(title)
    _label(ax, limits)
    return ax


def plot_samples_over_data(data, samples, limits=None, title="Flow samples over the data", ax=None):
    """Data (blue) and model samples (orange) on the same axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4))
    ax.scatter(data[:, 0], data[:, 1], label=f"data ({len(data)})", **DATA_STYLE)
    ax.scatter(samples[:, 0], samples[:, 1], label=f"flow samples ({len(samples)})", **SAMPLE_STYLE)
    ax.legend(loc="upper right", markerscale=3, fontsize="small")
    ax.set_title(title)
    _label(ax, limits)
    return ax


def _densities_on_one_scale(fig, axes, log_densities, titles, extent) -> float:
    """Draw each log-density's density on its axes, all on one colour scale from 0; return its top."""
    densities = [np.exp(log_d) for log_d in log_densities]
    vmax = float(max(d.max() for d in densities))
    for ax, dens, title in zip(axes, densities, titles):
        im = ax.imshow(dens, origin="lower", extent=extent, aspect="auto", vmin=0.0, vmax=vmax,
                       cmap="viridis")
        ax.set_title(title)
        _label(ax)
    fig.colorbar(im, ax=list(axes), shrink=0.9, label="density (shared scale)")
    return vmax


def plot_density_comparison(log_q, log_p, extent, data=None, ratio_clip: float = 3.0,
                            titles=("learned density $q(x)$", "exact density $p(x)$")):
    """Learned and exact density on one colour scale, and their log-ratio.

    ``log_q`` and ``log_p`` are 2-D arrays on the same grid (see ``density_grid``).
    The third panel shows :math:`\\log q - \\log p`, clipped to
    ``±ratio_clip`` nats, only where the exact density holds the bulk of the
    mass (elsewhere both are tiny and the ratio says little).
    """
    fig, axes = plt.subplots(1, 3, figsize=figure_size(13, 3.8), constrained_layout=True)
    vmax = _densities_on_one_scale(fig, axes[:2], (log_q, log_p), titles, extent)
    ratio = np.clip(log_q - log_p, -ratio_clip, ratio_clip)
    ratio = np.ma.masked_where(log_p < np.log(vmax) - 8.0, ratio)
    im = axes[2].imshow(ratio, origin="lower", extent=extent, aspect="auto", cmap="RdBu_r",
                        norm=TwoSlopeNorm(0.0, -ratio_clip, ratio_clip))
    axes[2].set_title(r"$\log q(x) - \log p(x)$ where $p$ is not tiny")
    _label(axes[2])
    fig.colorbar(im, ax=axes[2], shrink=0.9, label="nats (clipped)")
    if data is not None:
        for ax in axes:
            ax.scatter(data[:, 0], data[:, 1], s=1, color="white", alpha=0.4, linewidths=0)
    return fig


def plot_flow_steps(sample_sets, titles, limits=None, ncols: int = 5, width: float = 10.0,
                    fontsize: float = 10.0):
    """One scatter panel per stage of a flow (e.g. base, then after each bijector).

    The panels share ``width`` inches in rows of ``ncols``: a figure no wider than
    the notebook column is shown at full size, so titles of ``fontsize`` points
    are ``fontsize * dpi / 72`` pixels on screen (tick labels 2 points smaller).
    """
    n = len(sample_sets)
    nrows = math.ceil(n / ncols)
    panel = width / ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, panel * nrows), constrained_layout=True,
                             squeeze=False)
    for ax, s, title in zip(axes.flat, sample_sets, titles):
        ax.scatter(s[:, 0], s[:, 1], s=2, alpha=0.5, color="tab:orange", linewidths=0)
        ax.set_title(title, fontsize=fontsize)
        ax.tick_params(labelsize=fontsize - 2)
        if limits is not None:
            ax.set_xlim(*limits[0])
            ax.set_ylim(*limits[1])
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    return fig


def plot_loss_curves(curves: dict, bound: float | None = None, bound_label="exact entropy",
                     ylabel="training loss (nats per point)", ax=None, ylim=None):
    """Loss curves by name (epoch on x), with an optional horizontal bound."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for name, values in curves.items():
        values = np.asarray(values)
        ax.plot(np.arange(1, len(values) + 1), values, label=name, lw=1.2)
    if bound is not None:
        ax.axhline(bound, color="k", ls="--", lw=1, label=f"{bound_label} ({bound:.4f})")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.legend(fontsize="small")
    return ax


def draw_flow_diagram(stages, per_row: int = 6, width: float = 10.0, fontsize: float = 10.0,
                      top_caption="sampling, $x = f(z)$: follow the arrows from the base to the data",
                      bottom_caption=r"density: undo the boxes against the arrows, $z = f^{-1}(x)$, "
                                     r"$\log q(x) = \log p_Z(z) - \log|\det J_f(z)|$"):
    """A block diagram: base distribution, one box per stage, data, in rows of ``per_row`` boxes.

    ``stages`` is a list of box labels, in the order the flow applies them. The
    rows run as a snake (left to right, then right to left, ...), joined by
    arrows, so that a long flow fits ``width`` inches: a figure no wider than
    the notebook column is shown at full size, and ``fontsize`` points are
    ``fontsize * dpi / 72`` pixels on screen.
    """
    labels = ["base\n" + r"$z \sim \mathcal{N}(0, I)$"] + list(stages) + ["data\n$x$"]
    n = len(labels)
    cols = min(per_row, n)
    rows = math.ceil(n / cols)
    top, bottom = 0.45, 0.4  # caption space above and below the boxes, in box rows
    height_units = rows + top + bottom
    fig, ax = plt.subplots(figsize=(width, width / cols * height_units * 0.62))
    ax.set_xlim(0, cols)
    ax.set_ylim(-bottom, rows + top)
    ax.set_position([0, 0, 1, 1])
    ax.axis("off")
    box_w, box_h = 0.84, 0.6

    def centre(i):
        row, k = divmod(i, cols)
        col = k if row % 2 == 0 else cols - 1 - k
        return col + 0.5, rows - row - 0.5

    for i, text in enumerate(labels):
        x, y = centre(i)
        end = i in (0, n - 1)
        ax.add_patch(FancyBboxPatch((x - box_w / 2, y - box_h / 2), box_w, box_h, boxstyle="round,pad=0.02",
                                    fc="#dbe9f6" if end else "#fde7c8", ec="0.3"))
        ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, linespacing=1.4)
        if i < n - 1:
            (x1, y1), (x2, y2) = centre(i), centre(i + 1)
            if y1 == y2:  # along a row
                step = math.copysign(box_w / 2 + 0.02, x2 - x1)
                start, stop = (x1 + step, y1), (x2 - step, y2)
            else:  # down to the next row
                start, stop = (x1, y1 - box_h / 2 - 0.02), (x2, y2 + box_h / 2 + 0.02)
            ax.add_patch(FancyArrowPatch(start, stop, arrowstyle="-|>", mutation_scale=12, color="0.2",
                                         shrinkA=0, shrinkB=0))
    ax.text(cols / 2, rows + top / 2, top_caption, ha="center", va="center", fontsize=fontsize + 0.5,
            color="tab:orange")
    ax.text(cols / 2, -bottom / 2, bottom_caption, ha="center", va="center", fontsize=fontsize + 0.5,
            color="tab:blue")
    return fig


def plot_layer_warp(forward, limits=((-3.0, 3.0), (-3.0, 3.0)), n_lines: int = 13, points: int = 200,
                    titles=("input $z$", "output $y = f(z)$"), axes=None):
    """How one bijector bends the plane: a grid of lines, and its image under ``forward``.

    ``forward`` maps a float32 array ``(n, 2)`` to ``(n, 2)``. Lines of constant
    :math:`z_0` are blue, lines of constant :math:`z_1` orange, in both panels,
    so one can see which coordinate a layer leaves alone.
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(8, 3.6), constrained_layout=True)
    (a0, b0), (a1, b1) = limits
    t0, t1 = np.linspace(a0, b0, points), np.linspace(a1, b1, points)
    lines = []
    for c in np.linspace(a0, b0, n_lines):
        lines.append(("tab:blue", np.stack([np.full(points, c), t1], axis=1)))
    for c in np.linspace(a1, b1, n_lines):
        lines.append(("tab:orange", np.stack([t0, np.full(points, c)], axis=1)))
    for color, line in lines:
        line = line.astype(np.float32)
        image = np.asarray(forward(line))
        axes[0].plot(line[:, 0], line[:, 1], color=color, lw=0.8)
        axes[1].plot(image[:, 0], image[:, 1], color=color, lw=0.8)
    for ax, title in zip(axes, titles):
        ax.set_title(title, fontsize="medium")
        ax.set_aspect("equal", adjustable="datalim")
    axes[0].set(xlabel="$z_0$", ylabel="$z_1$")
    axes[1].set(xlabel="$y_0$", ylabel="$y_1$")
    return axes


def plot_density_rows(log_densities, extents, row_titles, column_titles, panel_size: float = 2.3):
    """A grid of densities: one row per data set, one column per model.

    ``log_densities[i][j]`` is a 2-D array of log-densities on the grid of row
    ``i`` (drawn over ``extents[i]``). Every row has its own colour scale, shared
    by its panels: from 0 to the maximum of the row's *first* panel (the exact
    density), so a model's panel is directly comparable with the truth; brighter
    values are clipped.
    """
    nrows, ncols = len(log_densities), len(column_titles)
    fig, axes = plt.subplots(nrows, ncols, figsize=figure_size(panel_size * ncols + 0.8, panel_size * nrows),
                             constrained_layout=True, squeeze=False)
    for i, (row, extent) in enumerate(zip(log_densities, extents)):
        vmax = float(np.exp(row[0]).max())
        for j, log_d in enumerate(row):
            ax = axes[i, j]
            im = ax.imshow(np.exp(log_d), origin="lower", extent=extent, aspect="auto", vmin=0.0,
                           vmax=vmax, cmap="viridis")
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(column_titles[j], fontsize="medium")
            if j == 0:
                ax.set_ylabel(row_titles[i])
        fig.colorbar(im, ax=axes[i, :], shrink=0.85, pad=0.01)
    return fig


# --- learning curves (06_learning_curve) ------------------------------------------------------

def plot_learning_curves(curves: dict, labels: dict | None = None, ncols: int = 2, panel_size=(4.4, 3.0),
                         ylabel="held-out KL (nats per point)"):
    """Held-out KL against training size on log axes: one panel per data set, one line per model.

    ``curves[data_name][model] = {n: kl}``. ``labels`` maps a model's key to the legend's name (default: the key).
    Models whose name starts with ``"kde"`` or ``"gmm"`` (the baselines) are drawn dashed, the flows solid, each
    model in the same colour in every panel. A KL that is not positive (a Monte Carlo estimate below zero, possible
    for a near-perfect fit) cannot be shown on a log axis: it is drawn at the panel's floor with an open marker
    and counted in the panel's title, never dropped silently. Returns the figure.
    """
    labels = labels or {}
    names = list(curves)
    if not names:
        raise ValueError("curves must hold at least one data set")
    models = list(dict.fromkeys(m for by_model in curves.values() for m in by_model))
    colours = {m: f"C{i % 10}" for i, m in enumerate(models)}
    nrows = -(-len(names) // ncols)
    ncols = min(ncols, len(names))
    fig, axes = plt.subplots(nrows, ncols, figsize=figure_size(panel_size[0] * ncols, panel_size[1] * nrows),
                             constrained_layout=True, squeeze=False)
    for ax, name in zip(axes.flat, names):
        values = [v for by_n in curves[name].values() for v in by_n.values() if np.isfinite(v) and v > 0]
        floor = min(values) / 2 if values else 1e-3
        hidden = 0
        for model, by_n in curves[name].items():
            sizes = sorted(by_n, key=float)
            n = np.array([float(s) for s in sizes])
            kl = np.array([by_n[s] for s in sizes], dtype=float)
            shown = np.where(kl > 0, kl, floor)
            style = "--" if model.startswith(("kde", "gmm")) else "-"
            ax.plot(n, shown, style, marker="o", ms=3.5, lw=1.4, color=colours[model], label=labels.get(model, model))
            below = ~(kl > 0)
            if below.any():
                hidden += int(below.sum())
                ax.plot(n[below], shown[below], "o", ms=6, mfc="white", color=colours[model])
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_title(name + (f" ({hidden} KL <= 0 drawn at the floor)" if hidden else ""), fontsize="medium")
        ax.set_xlabel("training size N (points)")
        ax.grid(True, which="major", alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel)
    for ax in list(axes.flat)[len(names):]:
        ax.set_axis_off()
    axes.flat[0].legend(fontsize="small")
    return fig


# --- posterior over densities (03_bayesian_flow) ----------------------------------------------

def _outline(ax, mask, extent, color, label=None, ls="-"):
    """Draw the boundary of a boolean grid mask (e.g. a mass region) on image axes."""
    ax.contour(np.asarray(mask, dtype=float), levels=[0.5], extent=extent, origin="lower",
               colors=color, linewidths=1.0, linestyles=ls)
    if label is not None:
        ax.plot([], [], color=color, lw=1.0, ls=ls, label=label)


def plot_spread_maps(spread_maps: dict, extent, low=None, central=None, data: dict | None = None,
                     value_range=None, label="sd of $\\log q(x)$ across posterior draws (nats)",
                     panel_size: float = 3.6):
    """A spread of the density across posterior draws (e.g. ``log_density_sd``), one panel per model.

    ``spread_maps`` maps a panel title to a 2-D array of positive values on the
    grid (see ``density_grid``); all panels share one logarithmic colour scale.
    By default the scale runs from the smallest to the largest value over all
    panels, so no cell is clipped. With ``value_range=(vmin, vmax)`` cells
    outside it take the end colours, and the colour bar gets a pointed end on
    each side where some cell was clipped (``extend``), so clipping is never
    hidden. ``low`` and ``central`` are optional boolean masks, outlined in red
    (dashed) and white; ``data`` maps the same titles to the training points to overlay.
    """
    from matplotlib.colors import LogNorm

    values = [np.asarray(v, dtype=np.float64) for v in spread_maps.values()]
    if any(not np.isfinite(v).all() for v in values):
        raise ValueError("spread maps must be finite")
    positive = [v[v > 0] for v in values]
    if not any(p.size for p in positive):
        raise ValueError("spread maps need at least one positive value for a logarithmic scale")
    lo = min(float(p.min()) for p in positive if p.size)
    hi = max(float(v.max()) for v in values)
    vmin, vmax = (lo, hi) if value_range is None else (float(value_range[0]), float(value_range[1]))
    if not 0 < vmin < vmax:
        raise ValueError(f"value_range must satisfy 0 < vmin < vmax, got {(vmin, vmax)}")
    below = any((v < vmin).any() for v in values)
    above = any((v > vmax).any() for v in values)
    extend = {(False, False): "neither", (True, False): "min", (False, True): "max", (True, True): "both"}[
        (below, above)]

    n = len(spread_maps)
    fig, axes = plt.subplots(1, n, figsize=figure_size(panel_size * n + 1.2, panel_size * 0.95),
                             constrained_layout=True, squeeze=False)
    norm = LogNorm(vmin, vmax)
    for ax, (title, spread) in zip(axes[0], zip(spread_maps, values)):
        im = ax.imshow(np.clip(spread, vmin, vmax), origin="lower", extent=extent, aspect="auto",
                       cmap="magma", norm=norm)
        if data is not None and title in data:
            pts = data[title]
            ax.scatter(pts[:, 0], pts[:, 1], s=0.6, color="tab:cyan", alpha=0.4, linewidths=0)
        if central is not None:
            _outline(ax, central, extent, "white", "central 50 % of the mass")
        if low is not None:
            _outline(ax, low, extent, "tab:red", "lowest 1 % of the mass (outside)", ls="--")
        ax.set_title(title, fontsize="medium")
        _label(ax, ((extent[0], extent[1]), (extent[2], extent[3])))
    if central is not None or low is not None:
        axes[0, 0].legend(loc="lower right", fontsize="x-small", facecolor="0.3", edgecolor="0.3",
                          labelcolor="white", framealpha=0.9)
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.9, label=label, extend=extend)
    return fig


def plot_predictive_density(log_mean, log_p, extent, data=None,
                            titles=("posterior predictive $\\bar q(x)$", "exact density $p(x)$")):
    """Posterior predictive density and the exact density on one colour scale."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), constrained_layout=True)
    _densities_on_one_scale(fig, axes, (log_mean, log_p), titles, extent)
    if data is not None:
        for ax in axes:
            ax.scatter(data[:, 0], data[:, 1], s=1, color="white", alpha=0.4, linewidths=0)
            ax.set_xlim(*extent[:2])
            ax.set_ylim(*extent[2:])
    return fig


def plot_posterior_draw_samples(data, sample_sets, limits=None, title="Samples from posterior draws",
                                ax=None):
    """The data (grey) and samples from several posterior draws of a model, one colour per draw."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.3))
    ax.scatter(data[:, 0], data[:, 1], s=4, color="0.55", alpha=0.6, linewidths=0,
               label=f"data ({len(data)})")
    colors = ["tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink"]
    for i, s in enumerate(sample_sets):
        ax.scatter(s[:, 0], s[:, 1], s=3, alpha=0.6, linewidths=0, color=colors[i % len(colors)],
                   label=f"draw {i + 1}")
    ax.legend(loc="upper right", markerscale=3, fontsize="x-small")
    ax.set_title(title)
    _label(ax, limits)
    return ax
