"""Reference density estimators a flow should beat, fitted in closed form."""

from __future__ import annotations

import numpy as np

from .validation import ParameterError, require_finite_points, require_positive


def gaussian_log_prob(train):
    """Maximum-likelihood full-covariance Gaussian fitted to ``train``.

    Returns a function mapping points ``(n, d)`` to log-densities (nats).
    """
    train = require_finite_points("train", train).astype(np.float64)
    mean = train.mean(axis=0)
    cov = np.cov(train, rowvar=False, bias=True)  # the MLE divides by n
    chol = np.linalg.cholesky(cov)
    d = train.shape[1]
    log_norm = -0.5 * d * np.log(2 * np.pi) - np.log(np.diag(chol)).sum()

    def log_prob(x):
        x = require_finite_points("x", x, dim=d).astype(np.float64)
        white = np.linalg.solve(chol, (x - mean).T)
        return log_norm - 0.5 * (white**2).sum(axis=0)

    return log_prob


def kde_log_prob(train, bandwidth: float):
    """Gaussian kernel density estimate on ``train``, as a log-density function.

    Each training point carries a Gaussian kernel with a diagonal covariance:
    per coordinate, its standard deviation is ``bandwidth`` times that
    coordinate's standard deviation in ``train`` (so one number suits data of any
    scale; Scott's rule would give ``n ** (-1 / 6)`` in two dimensions).
    Returns a function mapping points ``(n, d)`` to log-densities (nats).
    """
    train = require_finite_points("train", train).astype(np.float64)
    bandwidth = require_positive("bandwidth", bandwidth)
    n, d = train.shape
    scale = bandwidth * train.std(axis=0)
    if not np.all(scale > 0):
        raise ParameterError("train must vary along every coordinate")
    centres = train / scale
    log_norm = -0.5 * d * np.log(2 * np.pi) - np.log(scale).sum() - np.log(n)

    def log_prob(x, chunk: int = 2048):
        x = require_finite_points("x", x, dim=d).astype(np.float64) / scale
        out = np.empty(len(x))
        for start in range(0, len(x), chunk):
            part = x[start:start + chunk]
            sq = ((part[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)  # (chunk, n)
            e = -0.5 * sq
            top = e.max(axis=1, keepdims=True)
            out[start:start + chunk] = (top[:, 0] + np.log(np.exp(e - top).sum(axis=1))) + log_norm
        return out

    return log_prob


#: Bandwidths (relative to each coordinate's standard deviation) tried by ``select_kde_bandwidth``.
DEFAULT_BANDWIDTHS = tuple(float(b) for b in np.geomspace(0.02, 1.0, 40))


def select_kde_bandwidth(train, validation, bandwidths=DEFAULT_BANDWIDTHS):
    """The bandwidth whose KDE on ``train`` gives ``validation`` the lowest mean NLL.

    Returns ``(best_bandwidth, nll)``, where ``nll[i]`` is the validation NLL of
    ``bandwidths[i]`` (``inf`` where a validation point gets zero density).
    Choosing on held-out training data, never on the test set, keeps the
    baseline's score honest.
    """
    validation = require_finite_points("validation", validation)
    bandwidths = [require_positive("bandwidth", b) for b in bandwidths]
    if not bandwidths:
        raise ParameterError("bandwidths must not be empty")
    nll = []
    for b in bandwidths:
        lp = kde_log_prob(train, b)(validation)
        nll.append(float(-lp.mean()) if np.all(np.isfinite(lp)) else np.inf)
    nll = np.array(nll)
    return bandwidths[int(np.argmin(nll))], nll
