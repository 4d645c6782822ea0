"""Reference density estimators a flow should beat: a Gaussian, a kernel density estimate, a Gaussian mixture."""

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


def _squared_distances(points, centres):
    """``(len(points), len(centres))`` squared Euclidean distances, one coordinate at a time (no 3-D temporary;
    the same sums, in the same order, as ``((points[:, None] - centres[None]) ** 2).sum(axis=2)``)."""
    sq = np.subtract.outer(points[:, 0], centres[:, 0])
    sq *= sq
    for j in range(1, points.shape[1]):
        diff = np.subtract.outer(points[:, j], centres[:, j])
        diff *= diff
        sq += diff
    return sq


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
            e = _squared_distances(x[start:start + chunk], centres)  # (chunk, n)
            e *= -0.5
            top = e.max(axis=1, keepdims=True)
            e -= top
            np.exp(e, out=e)
            out[start:start + chunk] = (top[:, 0] + np.log(e.sum(axis=1))) + log_norm
        return out

    return log_prob


#: Bandwidths (relative to each coordinate's standard deviation) tried by ``select_kde_bandwidth``.
DEFAULT_BANDWIDTHS = tuple(float(b) for b in np.geomspace(0.02, 1.0, 40))


def select_kde_bandwidth(train, validation, bandwidths=DEFAULT_BANDWIDTHS, chunk: int = 512):
    """The bandwidth whose KDE on ``train`` gives ``validation`` the lowest mean NLL.

    Returns ``(best_bandwidth, nll)``, where ``nll[i]`` is the validation NLL of
    ``bandwidths[i]`` (``inf`` where a validation point gets zero density).
    Choosing on held-out training data, never on the test set, keeps the
    baseline's score honest. The squared distances between validation and
    training points (in units of each coordinate's standard deviation) are
    computed once per chunk of ``chunk`` validation points and serve every
    bandwidth, so a grid of 40 bandwidths costs little more than one.
    """
    train = require_finite_points("train", train).astype(np.float64)
    validation = require_finite_points("validation", validation).astype(np.float64)
    bandwidths = [require_positive("bandwidth", b) for b in bandwidths]
    if not bandwidths:
        raise ParameterError("bandwidths must not be empty")
    n, d = train.shape
    std = train.std(axis=0)
    if not np.all(std > 0):
        raise ParameterError("train must vary along every coordinate")
    centres, points = train / std, validation / std
    # log-normaliser of kde_log_prob(train, b), whose kernel scale is b * std
    log_norm = np.array([-0.5 * d * np.log(2 * np.pi) - np.log(b * std).sum() - np.log(n) for b in bandwidths])
    total = np.zeros(len(bandwidths))
    for start in range(0, len(points), chunk):
        part = points[start:start + chunk]
        sq = _squared_distances(part, centres)  # (chunk, n)
        nearest = sq.min(axis=1, keepdims=True)
        sq -= nearest
        work = np.empty_like(sq)
        for i, b in enumerate(bandwidths):
            # log-sum-exp of -sq / (2 b^2), shifted by its largest term (the nearest training point)
            np.multiply(sq, -0.5 / b**2, out=work)
            np.exp(work, out=work)
            log_sum = -0.5 * nearest[:, 0] / b**2 + np.log(work.sum(axis=1))
            total[i] += (log_sum + log_norm[i]).sum()
    nll = np.where(np.isfinite(total), -total / len(points), np.inf)
    return bandwidths[int(np.argmin(nll))], nll


#: Numbers of mixture components tried by ``select_gmm_components``.
DEFAULT_COMPONENTS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)


def gmm_log_prob(train, n_components: int, seed: int = 0):
    """Gaussian mixture with ``n_components`` full-covariance components, fitted to ``train`` by EM.

    scikit-learn's ``GaussianMixture`` (k-means initialisation, ``reg_covar``
    added to every covariance's diagonal so that no component collapses onto a
    point), seeded by ``seed``. Returns a function mapping points ``(n, d)`` to
    log-densities (nats).
    """
    train = require_finite_points("train", train).astype(np.float64)
    if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)) or n_components < 1:
        raise ParameterError(f"n_components must be an integer >= 1, got {n_components!r}")
    if n_components > len(train):
        raise ParameterError(f"n_components must be at most the number of training points ({len(train)}), "
                             f"got {n_components}")
    from sklearn.mixture import GaussianMixture

    mixture = GaussianMixture(int(n_components), covariance_type="full", reg_covar=1e-6, max_iter=200,
                              random_state=seed).fit(train)
    d = train.shape[1]

    def log_prob(x):
        x = require_finite_points("x", x, dim=d).astype(np.float64)
        return mixture.score_samples(x)

    log_prob.mixture = mixture  # the fitted scikit-learn model: weights_, means_, covariances_
    return log_prob


def select_gmm_components(train, validation, components=DEFAULT_COMPONENTS, seed: int = 0):
    """The number of components whose mixture on ``train`` gives ``validation`` the lowest mean NLL.

    Returns ``(best_n_components, nll, log_prob)``: ``nll[i]`` is the validation NLL of ``components[i]``
    and ``log_prob`` the fitted mixture of the best (as ``gmm_log_prob`` returns it). Numbers larger than
    the training set are refused, not skipped.
    """
    train = require_finite_points("train", train)
    validation = require_finite_points("validation", validation, dim=train.shape[1])
    components = list(components)
    if not components:
        raise ParameterError("components must not be empty")
    fits, nll = [], []
    for k in components:
        log_prob = gmm_log_prob(train, k, seed=seed)
        lp = log_prob(validation)
        fits.append(log_prob)
        nll.append(float(-lp.mean()) if np.all(np.isfinite(lp)) else np.inf)
    nll = np.array(nll)
    best = int(np.argmin(nll))
    return components[best], nll, fits[best]
