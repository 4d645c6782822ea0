"""Two-dimensional data sets whose log-density is known exactly.

Every data set here can draw samples and evaluate its own log-density, so a
learned density can be scored against the truth (see ``helpers.evaluation``).
Samples are float32 arrays of shape ``(n, 2)``; log-densities are float64, in
nats, joint over both coordinates.
"""

from __future__ import annotations

import math

import numpy as np

from .validation import require_finite_points, require_float, require_int, require_positive

LOG_2PI = math.log(2.0 * math.pi)

def _as_points(x) -> np.ndarray:
    """Samples as float32 points."""
    return np.asarray(x, dtype=np.float32)


def normal_log_prob(x, loc, scale):
    "Log-density of N(loc, scale^2) at x, elementwise."
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
        return _as_points(np.stack([x0, x1], axis=1))

    def log_prob(self, x) -> np.ndarray:
        """Exact log-density (nats) at each row of ``x``."""
        x = require_finite_points("x", x).astype(np.float64)
        x0, x1 = x[:, 0], x[:, 1]
        return normal_log_prob(x1, 0.0, self.sigma) + normal_log_prob(
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


def _logsumexp(a, axis):
    top = a.max(axis=axis, keepdims=True)
    return (top + np.log(np.exp(a - top).sum(axis=axis, keepdims=True))).squeeze(axis)


class Ring:
    r"""Multimodal: a ring of ``n_modes`` equal Gaussians (the "8 Gaussians" of the flow literature).

    .. math::
        p(x) = \frac1K \sum_{k=0}^{K-1} \mathcal{N}\big(x;\ r(\cos\tfrac{2\pi k}{K},
        \sin\tfrac{2\pi k}{K}),\ s^2 I\big)

    with :math:`K = 8`, radius :math:`r = 4` and :math:`s = 0.5` by default: neighbouring
    modes are 3.06 apart, about six standard deviations, so almost no mass lies between
    them. The entropy has no closed form; for the default parameters it is
    :data:`RING_DEFAULT_ENTROPY`, computed once by quadrature (see ``entropy``).
    Well-separated modes would give exactly :math:`\log K + \log(2\pi e s^2)` = 3.5310.
    """

    name = "ring"

    def __init__(self, n_modes: int = 8, radius: float = 4.0, scale: float = 0.5):
        self.n_modes = require_int("n_modes", n_modes, minimum=1)
        self.radius = require_float("radius", radius, low=0.0)
        self.scale = require_positive("scale", scale)
        angles = 2.0 * np.pi * np.arange(self.n_modes) / self.n_modes
        self.centres = self.radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)

    def sample(self, n: int, seed: int) -> np.ndarray:
        n = require_int("n", n, minimum=1)
        rng = np.random.default_rng(seed)
        k = rng.integers(self.n_modes, size=n)
        x = self.centres[k] + self.scale * rng.standard_normal((n, 2))
        return _as_points(x)

    def log_prob(self, x) -> np.ndarray:
        x = require_finite_points("x", x).astype(np.float64)
        sq = ((x[:, None, :] - self.centres[None, :, :]) ** 2).sum(axis=2)  # (n, K)
        log_comp = -LOG_2PI - 2.0 * math.log(self.scale) - 0.5 * sq / self.scale**2
        return _logsumexp(log_comp, axis=1) - math.log(self.n_modes)

    def entropy(self) -> float:
        """Differential entropy in nats.

        For the default parameters this returns :data:`RING_DEFAULT_ENTROPY`
        (``tests/test_zoo_datasets.py`` recomputes it by quadrature); otherwise
        it is computed here by the same quadrature (under a second).
        """
        if (self.n_modes, self.radius, self.scale) == (8, 4.0, 0.5):
            return RING_DEFAULT_ENTROPY
        return ring_entropy_by_quadrature(self)

    @property
    def limits(self):
        b = self.radius + 5.0 * self.scale
        return ((-b, b), (-b, b))


def ring_entropy_by_quadrature(ring: "Ring", resolution: int = 801) -> float:
    """:math:`-\int p \log p` by the midpoint rule on a square holding all the mass.

    The square reaches 9 standard deviations beyond the ring; with the default
    resolution each grid cell is under a twentieth of a standard deviation wide, and
    the midpoint rule of a smooth, rapidly decaying integrand is then accurate to
    far better than 1e-6 nats.
    """
    b = ring.radius + 9.0 * ring.scale
    edges = np.linspace(-b, b, resolution + 1)
    mid = 0.5 * (edges[1:] + edges[:-1])
    h = edges[1] - edges[0]
    total = 0.0
    for x1 in mid:  # row by row, to keep memory small
        pts = np.stack([mid, np.full_like(mid, x1)], axis=1)
        lp = ring.log_prob(pts)
        total -= (np.exp(lp) * lp).sum()
    return float(total * h * h)


#: Entropy (nats) of ``Ring()`` with its default parameters, by ``ring_entropy_by_quadrature``.
RING_DEFAULT_ENTROPY = 3.5247255411


class Checkerboard:
    r"""Sharp-edged: uniform on the black squares of a checkerboard.

    The square :math:`[-c, c]^2` is cut into a ``cells`` :math:`\times` ``cells`` board of
    equal squares; the density is constant on the squares whose row plus column index
    is even and zero on the others. With :math:`m` black squares of area :math:`a`,
    :math:`p(x) = 1/(m a)` on them, and the entropy is exactly :math:`\log(m a)`
    (:math:`\log 8` = 2.0794 nats for the default 4 :math:`\times` 4 board on
    :math:`[-2, 2]^2`). ``log_prob`` is :math:`-\infty` off the black squares: no
    model's density can be wrong there by being positive, so held-out scores stay finite.
    """

    name = "checkerboard"

    def __init__(self, cells: int = 4, half_width: float = 2.0):
        self.cells = require_int("cells", cells, minimum=1)
        self.half_width = require_positive("half_width", half_width)
        self.side = 2.0 * self.half_width / self.cells
        rows, cols = np.meshgrid(np.arange(self.cells), np.arange(self.cells), indexing="ij")
        black = (rows + cols) % 2 == 0
        self.black = np.stack([cols[black], rows[black]], axis=1)  # (m, 2): column (x0), row (x1)
        self.log_density = -math.log(len(self.black) * self.side**2)

    def sample(self, n: int, seed: int) -> np.ndarray:
        n = require_int("n", n, minimum=1)
        rng = np.random.default_rng(seed)
        k = rng.integers(len(self.black), size=n)
        corner = -self.half_width + self.side * self.black[k]
        x = corner + self.side * rng.random((n, 2))
        return _as_points(x)

    def log_prob(self, x) -> np.ndarray:
        x = require_finite_points("x", x).astype(np.float64)
        cell = np.floor((x + self.half_width) / self.side)
        inside = ((cell >= 0) & (cell < self.cells)).all(axis=1)
        black = inside & (cell.sum(axis=1) % 2 == 0)
        return np.where(black, self.log_density, -np.inf)

    def entropy(self) -> float:
        return -self.log_density

    @property
    def limits(self):
        b = 1.25 * self.half_width
        return ((-b, b), (-b, b))


class Funnel:
    r"""Strongly varying scale: a two-dimensional version of Neal's funnel.

    .. math::
        x_1 \sim \mathcal{N}(0, \sigma^2), \qquad
        x_0 \mid x_1 \sim \mathcal{N}\big(0,\ e^{x_1}\big)

    so the spread of :math:`x_0` is :math:`e^{x_1/2}`: about 20 times wider at
    :math:`x_1 = 2\sigma` than at :math:`x_1 = -2\sigma` for :math:`\sigma = 1.5`.
    Its entropy is exact: :math:`\tfrac12\log(2\pi e\sigma^2) + \tfrac12\log(2\pi e)
    + \mathbb{E}[x_1]/2`, and :math:`\mathbb{E}[x_1] = 0` (3.2433 nats for
    :math:`\sigma = 1.5`). The plot limits hold 99.62 % of the mass: the wide end has
    heavy tails in :math:`x_0`.
    """

    name = "funnel"

    def __init__(self, sigma: float = 1.5):
        self.sigma = require_positive("sigma", sigma)

    def sample(self, n: int, seed: int) -> np.ndarray:
        n = require_int("n", n, minimum=1)
        rng = np.random.default_rng(seed)
        x1 = self.sigma * rng.standard_normal(n)
        x0 = np.exp(0.5 * x1) * rng.standard_normal(n)
        return _as_points(np.stack([x0, x1], axis=1))

    def log_prob(self, x) -> np.ndarray:
        x = require_finite_points("x", x).astype(np.float64)
        x0, x1 = x[:, 0], x[:, 1]
        return normal_log_prob(x1, 0.0, self.sigma) + normal_log_prob(x0, 0.0, np.exp(0.5 * x1))

    def entropy(self) -> float:
        return 0.5 * (LOG_2PI + 1.0) + math.log(self.sigma) + 0.5 * (LOG_2PI + 1.0)

    @property
    def limits(self):
        return ((-10.0, 10.0), (-3.2 * self.sigma, 3.2 * self.sigma))


#: Every data set by name; each class takes only keyword arguments with defaults.
DATASETS = {"banana": Banana, "ring": Ring, "checkerboard": Checkerboard, "funnel": Funnel}
