"""Reference density estimators a flow should beat, fitted in closed form."""

from __future__ import annotations

import numpy as np

from .validation import require_finite_points


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
