"""Figures for variational inference (notebook 05): targets against samples of q, mode masses, posterior marginals.

A variational ``q`` is used through its samples (and its density at its own samples), so every panel of a
fitted ``q`` here is a histogram of its samples, drawn next to the exact density on the same colour scale.
Every function returns the figure; a notebook cell can end with ``;`` or ``plt.show()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Ellipse

from .plotting import density_grid, figure_size


def _density_and_bins(log_p, limits, resolution):
    grid, shape, extent, cell_area = density_grid(limits, resolution=resolution)
    density = np.exp(log_p(grid)).reshape(shape)
    return density, extent


def plot_targets_and_samples(targets: dict, samples: dict, log_z: dict | None = None, resolution: int = 120,
                             panel_size: float = 2.3):
    """One row per target: its exact density, then a 2-D histogram of each model's samples.

    ``targets``: {row title: (log_p_unnormalised, limits)}; ``samples``: {row title: {column title: (n, 2) array}};
    ``log_z``: {row title: log Z} to normalise the exact panel (0 when missing). Each row shares one colour
    scale, from 0 to the exact density's maximum (brighter histogram cells are clipped).
    """
    log_z = log_z or {}
    rows = list(targets)
    columns = ["exact density"] + list(next(iter(samples.values())))
    fig, axes = plt.subplots(len(rows), len(columns), figsize=figure_size(panel_size * len(columns) + 0.8, panel_size * len(rows)),
                             constrained_layout=True, squeeze=False)
    for i, row in enumerate(rows):
        log_p, limits = targets[row]
        density, extent = _density_and_bins(lambda x: log_p(x) - log_z.get(row, 0.0), limits, resolution)
        vmax = float(density.max())
        style = dict(origin="lower", extent=extent, aspect="auto", vmin=0.0, vmax=vmax, cmap="viridis")
        im = axes[i, 0].imshow(density, **style)
        for j, column in enumerate(columns[1:], start=1):
            x = np.asarray(samples[row][column])
            hist, _, _ = np.histogram2d(x[:, 1], x[:, 0], bins=resolution,
                                        range=[limits[1], limits[0]], density=False)
            cell = (extent[1] - extent[0]) * (extent[3] - extent[2]) / resolution**2
            axes[i, j].imshow(hist / (len(x) * cell), **style)
        for j, column in enumerate(columns):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(column, fontsize="medium")
            if j == 0:
                ax.set_ylabel(row)
        fig.colorbar(im, ax=axes[i, :], shrink=0.85, pad=0.01)
    return fig


def _ellipse(ax, mean, cov, n_sd, **style):
    values, vectors = np.linalg.eigh(np.asarray(cov, dtype=np.float64))
    angle = np.degrees(np.arctan2(vectors[1, -1], vectors[0, -1]))
    width, height = 2 * n_sd * np.sqrt(values[::-1])
    ax.add_patch(Ellipse(mean, width, height, angle=angle, fill=False, **style))


def plot_kl_directions(log_p, limits, gaussians: dict, resolution: int = 200, ax=None):
    """The target's density with the 1- and 2-standard-deviation ellipses of Gaussian fits.

    ``gaussians``: {label: (mean, covariance)}, e.g. the forward-KL and the reverse-KL Gaussian.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(4.6, 4.6), constrained_layout=True)
    density, extent = _density_and_bins(log_p, limits, resolution)
    ax.imshow(density, origin="lower", extent=extent, aspect="auto", cmap="Greys")
    colours = ["tab:orange", "tab:cyan", "tab:red", "tab:green"]
    for (label, (mean, cov)), colour in zip(gaussians.items(), colours):
        _ellipse(ax, mean, cov, 1.0, color=colour, lw=2, label=label)
        _ellipse(ax, mean, cov, 2.0, color=colour, lw=1, ls="--")
    ax.set_xlim(*limits[0])
    ax.set_ylim(*limits[1])
    ax.set_xlabel("$z_0$")
    ax.set_ylabel("$z_1$")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1, fontsize="small")  # below: off the target
    return ax.figure


def plot_mode_masses(masses: dict, exact: float, floor: float | None = None, ax=None):
    """Bar chart: the share of each model's samples near each of the ring's modes, against the exact share."""
    if ax is None:
        _, ax = plt.subplots(figsize=(9.5, 3.2), constrained_layout=True)
    names = list(masses)
    n_modes = len(next(iter(masses.values())))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        ax.bar(np.arange(n_modes) + (i - (len(names) - 1) / 2) * width, masses[name], width=width, label=name)
    ax.axhline(exact, color="k", ls="--", lw=1, label=f"exact ({exact:.3f})")
    if floor is not None:
        ax.axhline(floor, color="tab:red", ls=":", lw=1, label=f"{floor:.0%} of the mass")
    ax.set_xticks(np.arange(n_modes))
    ax.set_xticklabels([f"mode {k}" for k in range(n_modes)])
    ax.set_ylabel("share of q's samples\nwithin 3 sd of the mode")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the bars, never over one
    return ax.figure


def plot_marginals(panels: list, samples: dict, bins: int = 80):
    """Exact marginal densities (black) against histograms of each model's samples.

    ``panels``: [(title, grid, exact density on the grid, column of the samples, (low, high))];
    ``samples``: {model: (n, d) array}.
    """
    fig, axes = plt.subplots(1, len(panels), figsize=figure_size(5.2 * len(panels), 3.4), constrained_layout=True,
                             squeeze=False)
    for ax, (title, grid, density, column, (low, high)) in zip(axes[0], panels):
        edges = np.linspace(low, high, bins + 1)
        for name, x in samples.items():
            ax.hist(np.asarray(x)[:, column], bins=edges, density=True, histtype="step", lw=1.3, label=name)
        ax.plot(grid, density, color="k", lw=2, label="exact")
        ax.set_xlim(low, high)
        ax.set_title(title)
        ax.set_yticks([])
    axes[0, 0].legend(fontsize="small", loc="upper left")  # log tau's left-skewed marginal leaves that corner empty
    return fig
