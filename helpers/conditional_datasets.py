"""Conditional data sets p(y | x) whose conditional log-density is known exactly.

Each data set draws the input ``x`` from a known distribution (uniform on
``x_limits``) and then ``y`` given ``x``, so a learned conditional density
q(y | x) can be scored against the truth on fresh pairs (see
``helpers.conditional_evaluation``).

Shapes follow the event shape a conditional distribution over ``y`` has:

- ``x`` is always a float32 array ``(n, 1)`` (one input per row);
- ``y`` is ``(n,)`` for a scalar ``y`` (``y_dim == 1``: event shape ``[]``) and
  ``(n, 2)`` for a 2-D ``y`` (``y_dim == 2``: event shape ``[2]``).

Samples are float32. Log-densities are float64, in nats, joint over the
dimensions of ``y``; the 1-D data sets also give their exact conditional CDF.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr

from .datasets import LOG_2PI, _as_points, normal_log_prob
from .validation import ParameterError, require_float, require_int


def _logaddexp_weighted(log_a, log_b, w):
    """log(w e^a + (1 - w) e^b), elementwise."""
    return np.logaddexp(np.log(w) + log_a, np.log1p(-w) + log_b)


class ConditionalDataset:
    """What the conditional data sets share: x uniform on ``x_limits``, argument checks."""

    name = ""
    y_dim = 1
    x_limits = (-2.0, 2.0)

    def sample_x(self, n: int, rng) -> np.ndarray:
        low, high = self.x_limits
        return rng.uniform(low, high, size=n)

    def sample(self, n: int, seed: int):
        """Draw ``n`` pairs ``(x, y)`` with a NumPy generator seeded by ``seed``."""
        n = require_int("n", n, minimum=1)
        rng = np.random.default_rng(seed)
        x = self.sample_x(n, rng)
        y = self._sample_y(x, rng)
        return _as_points(x[:, None]), _as_points(y)

    def sample_y(self, x, seed: int) -> np.ndarray:
        """Draw one ``y`` from p(y | x) for each given input (``x`` of shape ``(n, 1)`` or ``(n,)``)."""
        x = self._check_x(x)
        return _as_points(self._sample_y(x, np.random.default_rng(seed)))

    def x_log_prob(self, x) -> np.ndarray:
        """Log-density of the inputs (uniform); not part of any conditional score."""
        x = self._check_x(x)
        low, high = self.x_limits
        inside = (x >= low) & (x <= high)
        return np.where(inside, -math.log(high - low), -np.inf)

    def _check_x(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 2 and x.shape[1] == 1:
            x = x[:, 0]
        if x.ndim != 1:
            raise ParameterError(f"x must have shape (n, 1) or (n,), got {np.shape(x)}")
        if not np.isfinite(x).all():
            raise ParameterError("x has NaN or infinite values")
        return x

    def _check_pairs(self, y, x):
        x = self._check_x(x)
        y = np.asarray(y, dtype=np.float64)
        expected = (len(x),) if self.y_dim == 1 else (len(x), self.y_dim)
        if y.shape != expected:
            raise ParameterError(f"y must have shape {expected} for {len(x)} inputs, got {y.shape}")
        if not np.isfinite(y).all():
            raise ParameterError("y has NaN or infinite values")
        return y, x


class Skewed(ConditionalDataset):
    r"""Heteroscedastic and skewed: a sinh-arcsinh transform of a Gaussian whose location,
    scale and skew change with x (Jones & Pewsey, 2009).

    .. math::
        y = \mu(x) + \sigma(x)\, \sinh\!\big(\operatorname{arcsinh}(z) + \varepsilon(x)\big),
        \qquad z \sim \mathcal{N}(0, 1),

    with :math:`\mu(x) = \sin(1.5 x)`, :math:`\sigma(x) = 0.2 + 0.1 (x + 2)` (0.2 to 0.6) and
    skew :math:`\varepsilon(x) = 0.7 x` (a long left tail for x < 0, a long right tail for x > 0,
    symmetric at x = 0). With :math:`u = (y - \mu)/\sigma` and
    :math:`a = \operatorname{arcsinh} u - \varepsilon`, :math:`z = \sinh a`, so
    :math:`\log p(y \mid x) = \log\varphi(z) + \log\cosh a - \tfrac12\log(1 + u^2) - \log\sigma`
    and :math:`F(y \mid x) = \Phi(z)`. The best Gaussian for each x (mean and variance
    matched) is 0.106 nats from it on average over x (``tests/test_conditional_datasets.py``).
    """

    name = "skewed"
    y_dim = 1
    y_limits = (-3.0, 5.0)

    def params(self, x):
        x = np.asarray(x, dtype=np.float64)
        return np.sin(1.5 * x), 0.2 + 0.1 * (x + 2.0), 0.7 * x

    def _sample_y(self, x, rng):
        loc, scale, skew = self.params(x)
        z = rng.standard_normal(len(x))
        return loc + scale * np.sinh(np.arcsinh(z) + skew)

    def _arcsinh_z(self, y, x):
        loc, scale, skew = self.params(x)
        u = (y - loc) / scale
        return np.arcsinh(u) - skew, scale, u

    def log_prob(self, y, x) -> np.ndarray:
        """Exact log p(y | x) (nats) for each pair of rows."""
        y, x = self._check_pairs(y, x)
        a, scale, u = self._arcsinh_z(y, x)
        log_cosh = np.logaddexp(a, -a) - math.log(2.0)
        return -0.5 * LOG_2PI - 0.5 * np.sinh(a) ** 2 + log_cosh - 0.5 * np.log1p(u**2) - np.log(scale)

    def cdf(self, y, x) -> np.ndarray:
        """Exact conditional CDF F(y | x) for each pair of rows."""
        y, x = self._check_pairs(y, x)
        return ndtr(np.sinh(self._arcsinh_z(y, x)[0]))


class Modes(ConditionalDataset):
    r"""A number of modes that changes with x: two Gaussian branches that split apart and merge again.

    .. math::
        p(y \mid x) = w(x)\, \mathcal{N}\big(y;\ c(x) + d(x),\ s^2\big)
                    + \big(1 - w(x)\big)\, \mathcal{N}\big(y;\ c(x) - d(x),\ s^2\big)

    with centre :math:`c(x) = 0.5 x`, half-distance :math:`d(x) = 1.2 \sin^2\!\big(\pi (x + 2)/4\big)`
    (0 at x = -2 and x = 2, 1.2 at x = 0), weight :math:`w(x) = 1/(1 + e^{-x})` and :math:`s = 0.3`.
    Near x = ±2 the two branches coincide and p(y | x) has one mode; it has two where
    the branches are far enough apart (the two equal-scale components of a mixture give two modes
    only when their means are more than 2s apart, i.e. :math:`d(x) > s`, for equal weights).
    """

    name = "modes"
    y_dim = 1
    y_limits = (-3.0, 3.0)
    spread = 0.3

    def params(self, x):
        x = np.asarray(x, dtype=np.float64)
        d = 1.2 * np.sin(np.pi * (x + 2.0) / 4.0) ** 2
        return 0.5 * x, d, 1.0 / (1.0 + np.exp(-x))

    def _sample_y(self, x, rng):
        centre, d, w = self.params(x)
        upper = rng.random(len(x)) < w
        return centre + np.where(upper, d, -d) + self.spread * rng.standard_normal(len(x))

    def log_prob(self, y, x) -> np.ndarray:
        y, x = self._check_pairs(y, x)
        centre, d, w = self.params(x)
        return _logaddexp_weighted(normal_log_prob(y, centre + d, self.spread),
                                   normal_log_prob(y, centre - d, self.spread), w)

    def cdf(self, y, x) -> np.ndarray:
        y, x = self._check_pairs(y, x)
        centre, d, w = self.params(x)
        s = self.spread
        return w * ndtr((y - centre - d) / s) + (1.0 - w) * ndtr((y - centre + d) / s)


class BananaTwist(ConditionalDataset):
    r"""A 2-D y: a banana whose curvature and orientation change with x.

    .. math::
        u_0 \sim \mathcal{N}(0, 1), \qquad
        u_1 \mid u_0 \sim \mathcal{N}\big(\kappa(x)\,(u_0^2 - 1),\ s^2\big), \qquad
        y = R\big(\theta(x)\big)\, u,

    with curvature :math:`\kappa(x) = 0.6 x` (the banana opens one way for x < 0, the other way
    for x > 0, and is a plain Gaussian at x = 0), rotation angle :math:`\theta(x) = 0.4 x` and
    :math:`s = 0.35`. A rotation has determinant 1, so
    :math:`\log p(y \mid x) = \log\mathcal{N}(u_0; 0, 1) + \log\mathcal{N}(u_1; \kappa(u_0^2 - 1), s^2)`
    with :math:`u = R(\theta)^\top y`.
    """

    name = "banana"
    y_dim = 2
    y_limits = ((-4.0, 4.0), (-4.0, 4.0))
    spread = 0.35

    def params(self, x):
        x = np.asarray(x, dtype=np.float64)
        return 0.6 * x, 0.4 * x

    def _sample_y(self, x, rng):
        kappa, theta = self.params(x)
        u0 = rng.standard_normal(len(x))
        u1 = kappa * (u0**2 - 1.0) + self.spread * rng.standard_normal(len(x))
        c, s = np.cos(theta), np.sin(theta)
        return np.stack([c * u0 - s * u1, s * u0 + c * u1], axis=1)

    def log_prob(self, y, x) -> np.ndarray:
        y, x = self._check_pairs(y, x)
        kappa, theta = self.params(x)
        c, s = np.cos(theta), np.sin(theta)
        u0 = c * y[:, 0] + s * y[:, 1]
        u1 = -s * y[:, 0] + c * y[:, 1]
        return normal_log_prob(u0, 0.0, 1.0) + normal_log_prob(u1, kappa * (u0**2 - 1.0), self.spread)


#: Every conditional data set by name; each class takes no arguments.
CONDITIONAL_DATASETS = {"skewed": Skewed, "modes": Modes, "banana": BananaTwist}


def split_pairs(x, y, validation_fraction: float = 0.2, seed: int = 0):
    """Split pairs at random into ``(x_train, y_train), (x_val, y_val)``.

    The same rule as ``helpers.training.train_validation_split`` for points: the validation
    part has ``round(validation_fraction * n)`` pairs (at least one, and at least one pair is
    left for training), chosen by a permutation that depends only on ``seed``.
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or len(x) != len(y) or len(x) < 2:
        raise ParameterError(f"x must have shape (n, k) with n >= 2 and y one row per row of x, "
                             f"got shapes {x.shape} and {y.shape}")
    fraction = require_float("validation_fraction", validation_fraction, low=0.0, high=1.0, low_inclusive=False)
    n = len(x)
    n_val = int(round(fraction * n))
    if n_val < 1 or n_val > n - 1:
        raise ParameterError(f"validation_fraction {fraction} of {n} pairs leaves no validation or no training pair")
    order = np.random.default_rng(seed).permutation(n)
    train, val = np.sort(order[n_val:]), np.sort(order[:n_val])
    return (x[train], y[train]), (x[val], y[val])
