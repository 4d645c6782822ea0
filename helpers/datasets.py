"""Two-dimensional data sets whose log-density is known exactly.

Every data set here can draw samples and evaluate its own log-density, so a
learned density can be scored against the truth (see ``helpers.evaluation``).
Samples are float32 arrays of shape ``(n, 2)``; log-densities are float64, in
nats, joint over both coordinates.
"""

from __future__ import annotations

import math

import numpy as np

from .validation import require_finite_points, require_int, require_positive

LOG_2PI = math.log(2.0 * math.pi)


def _normal_log_prob(x, loc, scale):
    return -0.5 * LOG_2PI - np.log(scale) - 0.5 * ((x - loc) / scale) ** 2


class Banana:
    r"""The "banana" of the ProbFlow example page.

    .. math::
        x_1 \sim \mathcal{N}(0, \sigma^2), \qquad
        x_0 \mid x_1 \sim \mathcal{N}(x_1^2 / 4,\ 1)

    so :math:`\log p(x) = \log\mathcal{N}(x_1; 0, \sigma^2)
    + \log\mathcal{N}(x_0; x_1^2/4, 1)`, and its entropy is
    :math:`\tfrac12\log(2\pi e\sigma^2) + \tfrac12\log(2\pi e)`
    (3.9365 nats for :math:`\sigma = 3`).
    """

    name = "banana"

    def __init__(self, sigma: float = 3.0):
        self.sigma = require_positive("sigma", sigma)

    def sample(self, n: int, seed: int) -> np.ndarray:
        """Draw ``n`` points with a NumPy generator seeded by ``seed``."""
        n = require_int("n", n, minimum=1)
        rng = np.random.default_rng(seed)
        x1 = self.sigma * rng.standard_normal(n)
        x0 = 0.25 * x1**2 + rng.standard_normal(n)
        return np.stack([x0, x1], axis=1).astype(np.float32)

    def log_prob(self, x) -> np.ndarray:
        """Exact log-density (nats) at each row of ``x``."""
        x = require_finite_points("x", x).astype(np.float64)
        x0, x1 = x[:, 0], x[:, 1]
        return _normal_log_prob(x1, 0.0, self.sigma) + _normal_log_prob(
            x0, 0.25 * x1**2, 1.0
        )

    def entropy(self) -> float:
        """Exact differential entropy in nats."""
        return 0.5 * (LOG_2PI + 1.0) + math.log(self.sigma) + 0.5 * (LOG_2PI + 1.0)

    @property
    def limits(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """Plot limits ``((x0_min, x0_max), (x1_min, x1_max))`` that hold the bulk."""
        s = self.sigma
        return ((-5.0, 0.25 * (2.5 * s) ** 2 + 4.0), (-3.2 * s, 3.2 * s))


#: Every data set by name; each class takes only keyword arguments with defaults.
DATASETS = {"banana": Banana}
