"""Figures for conditional densities p(y | x): curves at fixed x, slices through x, samples, calibration.

Every function draws on Matplotlib axes and returns the figure, so a notebook cell can end
with ``plt.show()`` and show only the picture. For 2-D y, grids of density images at several x
are drawn by ``helpers.plotting.plot_density_rows``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .plotting import DATA_STYLE, SAMPLE_STYLE, figure_size

#: One colour per model name, the same in every figure.
MODEL_COLOURS = {"gaussian": "tab:gray", "heteroscedastic": "tab:green", "mdn": "tab:purple", "flow": "tab:orange"}
EXACT_STYLE = dict(color="black", lw=2.2, alpha=0.35)


def _colour(name, k):
    return MODEL_COLOURS.get(name, f"C{k}")


def plot_conditional_curves(y_grid, exact, models: dict, x_values, title="", axes=None, labels=None):
    """Densities p(y | x) of a 1-D y at several fixed x: the exact one (thick grey) and each model's, with one
    legend below the panels.

    ``exact`` has shape ``(len(x_values), len(y_grid))`` and holds log-densities, as does
    each value of ``models`` (name -> array); ``labels`` maps names to legend labels.
    """
    x_values = list(x_values)
    if axes is None:
        fig, axes = plt.subplots(1, len(x_values), figsize=figure_size(2.6 * len(x_values), 3.0), sharey=True,
                                 constrained_layout=True, squeeze=False)
        axes = axes[0]
    fig = axes[0].figure
    labels = labels or {}
    for i, (ax, x) in enumerate(zip(axes, x_values)):
        ax.plot(y_grid, np.exp(exact[i]), label="exact", **EXACT_STYLE)
        for k, (name, log_q) in enumerate(models.items()):
            ax.plot(y_grid, np.exp(log_q[i]), lw=1.1, color=_colour(name, k), label=labels.get(name, name))
        ax.set_title(f"{title}x = {x:g}", fontsize="small")
        ax.set_xlabel("y")
    axes[0].set_ylabel("p(y | x)")
    legend_below(fig, axes[0])
    return fig


def legend_below(fig, ax, **kwargs):
    """One legend for the whole figure, below its panels (never over data), from the entries of ``ax``.

    The figure needs a layout engine (``constrained_layout=True``) to make room for it.
    """
    handles, names = ax.get_legend_handles_labels()
    options = dict(loc="outside lower center", ncol=len(names), fontsize="small", frameon=False)
    options.update(kwargs)
    return fig.legend(handles, names, **options)


def plot_slices_through_x(x_grid, y_grid, panels: dict, title="", axes=None, vmax=None):
    """Images of p(y | x) over the (x, y) plane, one per entry of ``panels`` (label -> log-density).

    Each value has shape ``(len(y_grid), len(x_grid))``: column j is the conditional density
    at ``x_grid[j]``, so every vertical line of the image is one conditional. All panels share
    one colour scale (the exact one's maximum unless ``vmax`` is given).
    """
    if axes is None:
        fig, axes = plt.subplots(1, len(panels), figsize=figure_size(3.3 * len(panels), 2.6), sharey=True,
                                 constrained_layout=True, squeeze=False)
        axes = axes[0]
    fig = axes[0].figure
    densities = {label: np.exp(v) for label, v in panels.items()}
    vmax = vmax if vmax is not None else max(float(d.max()) for d in densities.values())
    extent = (x_grid[0], x_grid[-1], y_grid[0], y_grid[-1])
    for ax, (label, d) in zip(axes, densities.items()):
        image = ax.imshow(d, origin="lower", extent=extent, aspect="auto", cmap="viridis", vmin=0.0, vmax=vmax)
        ax.set_title(f"{title}{label}", fontsize="small")
        ax.set_xlabel("x")
    axes[0].set_ylabel("y")
    fig.colorbar(image, ax=axes[-1], shrink=0.9, label="p(y | x)")
    return fig


def plot_samples_over_pairs(x, y, x_new, samples, title="", ax=None, limits=None):
    """Training pairs (blue) and a model's predictive samples at new inputs (orange), for a 1-D y."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 3))
    ax.scatter(np.ravel(x), y, label="training pairs", **DATA_STYLE)
    ax.scatter(np.ravel(x_new), np.ravel(samples), label="predictive samples", **SAMPLE_STYLE)
    ax.set(xlabel="x", ylabel="y", title=title)
    if limits is not None:
        ax.set_ylim(*limits)
    return ax.figure


def plot_samples_in_y(y_by_x: dict, samples_by_x: dict, limits, title="", axes=None):
    """For a 2-D y: at each of a few x (keys), exact draws (blue) beside a model's samples (orange); legend below."""
    keys = list(y_by_x)
    if axes is None:
        fig, axes = plt.subplots(1, len(keys), figsize=figure_size(2.6 * len(keys), 2.6), sharex=True, sharey=True,
                                 constrained_layout=True, squeeze=False)
        axes = axes[0]
    for ax, x in zip(axes, keys):
        ax.scatter(y_by_x[x][:, 0], y_by_x[x][:, 1], label="exact draws", **DATA_STYLE)
        ax.scatter(samples_by_x[x][:, 0], samples_by_x[x][:, 1], label="model samples", **SAMPLE_STYLE)
        ax.set(xlim=limits[0], ylim=limits[1], xlabel="$y_0$", title=f"{title}x = {x:g}")
        ax.title.set_fontsize("small")
    axes[0].set_ylabel("$y_1$")
    legend_below(axes[0].figure, axes[0], markerscale=4)
    return axes[0].figure


def plot_density_columns(log_densities, extent, row_titles, column_titles, panel_size: float = 1.9):
    """A grid of 2-D densities: one row per model, one column per x, **one colour scale per column**.

    ``log_densities[i][j]`` is the log-density of row ``i`` at column ``j`` on one grid (drawn over
    ``extent``). Each column's scale runs from 0 to the largest density of any of its panels, so no panel is
    clipped, and the panels of one x (the exact density and each model's) are directly comparable; its colour
    bar is under the column.
    """
    nrows, ncols = len(log_densities), len(column_titles)
    fig, axes = plt.subplots(nrows, ncols, figsize=figure_size(panel_size * ncols, panel_size * nrows + 0.6),
                             constrained_layout=True, squeeze=False)
    densities = [[np.exp(np.asarray(log_d)) for log_d in row] for row in log_densities]
    for j in range(ncols):
        vmax = max(float(row[j].max()) for row in densities)
        for i, row in enumerate(densities):
            ax = axes[i, j]
            image = ax.imshow(row[j], origin="lower", extent=extent, aspect="auto", vmin=0.0, vmax=vmax,
                              cmap="viridis")
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(column_titles[j], fontsize="medium")
            if j == 0:
                ax.set_ylabel(row_titles[i], fontsize="small")
        bar = fig.colorbar(image, ax=axes[:, j], orientation="horizontal", shrink=0.9, pad=0.02, aspect=15)
        bar.ax.tick_params(labelsize="x-small")
        bar.locator = plt.MaxNLocator(3)
        bar.update_ticks()
    return fig


def plot_coverage_curves(curves: dict, title="", ax=None, labels=None):
    """Observed against nominal coverage, one line per model (name -> (levels, observed)).

    The diagonal is perfect calibration; a curve below it belongs to an overconfident model
    (regions too small), above it to an underconfident one.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(3.2, 3.2))
    labels = labels or {}
    ax.plot([0, 1], [0, 1], "k:", lw=1)
    for k, (name, (levels, observed)) in enumerate(curves.items()):
        ax.plot(levels, observed, lw=1.3, color=_colour(name, k), label=labels.get(name, name))
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="nominal coverage", ylabel="observed coverage", title=title)
    ax.set_aspect("equal")
    return ax.figure


def plot_rank_histograms(histograms: dict, title="", ax=None, labels=None):
    """Step histograms of ranks or PIT values (name -> (edges, densities)); flat at 1 when calibrated."""
    if ax is None:
        _, ax = plt.subplots(figsize=(3.6, 2.6))
    labels = labels or {}
    for k, (name, (edges, density)) in enumerate(histograms.items()):
        ax.stairs(density, edges, color=_colour(name, k), lw=1.3, label=labels.get(name, name))
    ax.axhline(1.0, color="k", ls=":", lw=1)
    ax.set(xlim=(0, 1), xlabel="PIT", ylabel="density", title=title)
    return ax.figure


def draw_conditional_flow_diagram(stages, networks, width: float = 10.0, fontsize: float = 9.5,
                                  base_label: str = "base\n$z \\sim p_Z$", base_network: str | None = None):
    """How the context enters a conditional flow: a chain of boxes from the base to y, each fed from below.

    ``stages`` are the box labels in the order the flow applies them (base to y); ``networks``
    gives, for each stage, the label of what computes its parameters (e.g. ``"net(x)"`` or
    ``"net(y_0, x)"``), drawn under the box with an arrow into it. x itself is drawn once, at
    the bottom, feeding every network: it is an input of the networks, never transformed.
    ``base_label`` names the base distribution; ``base_network``, if given, is drawn under it the
    same way (a base whose parameters depend on x).
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    labels = [base_label] + list(stages) + ["$y$"]
    n = len(labels)
    fig, ax = plt.subplots(figsize=(width, 2.6))
    ax.set_xlim(0, n)
    ax.set_ylim(-0.15, 2.3)
    ax.set_position([0, 0, 1, 1])
    ax.axis("off")

    def box(cx, cy, text, colour, w=0.7, h=0.5):
        ax.add_patch(FancyBboxPatch((cx - w / 2, cy - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.06",
                                    fc=colour, ec="0.3", lw=1))
        ax.text(cx, cy, text, ha="center", va="center", fontsize=fontsize)

    def arrow(a, b, colour="0.3"):
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=12, lw=1.2, color=colour))

    for i, text in enumerate(labels):
        colour = "#dbe9f6" if i in (0, n - 1) else "#fde8cf"
        box(i + 0.5, 1.75, text, colour)
        if i > 0:
            arrow((i - 0.15, 1.75), (i + 0.15, 1.75))
    for i, text in enumerate(networks, start=1):
        box(i + 0.5, 0.95, text, "#e6f2e1", h=0.38)
        arrow((i + 0.5, 1.15), (i + 0.5, 1.49), colour="tab:green")
        arrow((i + 0.5, 0.3), (i + 0.5, 0.75), colour="tab:green")
    ax.plot([1.5, len(networks) + 0.5], [0.3, 0.3], color="tab:green", lw=1.2)
    ax.text(0.5, 0.3, "context $x$", ha="center", va="center", fontsize=fontsize, color="tab:green")
    ax.plot([0.85, 1.5], [0.3, 0.3], color="tab:green", lw=1.2)
    if base_network is not None:
        box(0.5, 0.95, base_network, "#e6f2e1", h=0.38)
        arrow((0.5, 1.15), (0.5, 1.49), colour="tab:green")
        arrow((0.5, 0.42), (0.5, 0.75), colour="tab:green")
    base_density = "p_Z(z)" if base_network is None else "p_Z(z \\mid x)"
    ax.text(n / 2, 2.2, "sampling: $y = f(z; x)$, left to right; density: $z = f^{-1}(y; x)$, "
            f"$\\log q(y\\mid x) = \\log {base_density} + \\log|\\det \\partial z / \\partial y|$",
            ha="center", va="center", fontsize=fontsize)
    return fig
