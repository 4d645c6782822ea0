"""Scikit-learn's bundled 8x8 digits as a density-estimation benchmark, scored in bits per dimension.

``sklearn.datasets.load_digits`` ships 1,797 images of 8 x 8 pixels, each pixel an integer grey level from 0 to
16 (17 levels). Nothing is downloaded. This module holds what the image notebook shares and is not its lesson:
the seeded train / validation / test split, the baselines every flow is compared with, scored per image in bits
per dimension (so that standard errors and paired differences can be computed over the test images), and an
image-grid plot.

Units. A model of the discrete pixels gives a probability P(x) of an image x; its score is
``-log2 P(x) / 64`` bits per dimension (pixel). A continuous density p on dequantized images ``x + u``,
u uniform on [0, 1)^64, in pixel units, gives the discrete model P(x) = E_u[p(x + u)], which is scored from K
draws of u in two ways (:func:`estimate_bits`): the dequantization bound ``-mean_k log2 p(x + u_k) / 64`` (by
Jensen's inequality above the model's true bits per dimension), and the importance-weighted estimate
``-log2((1/K) sum_k p(x + u_k)) / 64``, which is below the bound for every image and tends to the model's true
``-log2 P(x) / 64`` as K grows (its expectation stays above it: Burda et al., 2016). With these units a density
uniform on [0, 17)^64 scores exactly log2 17 either way.
"""

from __future__ import annotations

import math

import numpy as np

from .validation import ParameterError, require_float, require_int

#: Grey levels of a pixel (0, ..., 16), pixels of an image (8 x 8).
LEVELS, SIDE = 17, 8
DIM = SIDE * SIDE
#: log2 of the number of levels: the bits per dimension of the uniform distribution over them.
UNIFORM_BITS = math.log2(LEVELS)


def bits_per_dim(log_likelihood_nats) -> np.ndarray:
    """Per-image log-likelihoods in nats (of the 64 pixels jointly) as bits per dimension."""
    return -np.asarray(log_likelihood_nats, dtype=np.float64) / (DIM * math.log(2.0))


def load_digit_splits(seed: int = 0, n_train: int = 1000, n_validation: int = 350):
    """The 1,797 digits split at random into (train, validation, test): integer arrays of shape (n, 64).

    The test part is what is left after ``n_train`` training and ``n_validation`` validation images (447 with
    the defaults). The split depends only on ``seed``.
    """
    from sklearn.datasets import load_digits

    seed = require_int("seed", seed, minimum=0)
    images = load_digits().data.astype(np.int64)
    n_train = require_int("n_train", n_train, minimum=10)
    n_validation = require_int("n_validation", n_validation, minimum=10)
    if n_train + n_validation > len(images) - 10:
        raise ParameterError(f"n_train + n_validation must leave at least 10 of the {len(images)} images for "
                             f"testing, got {n_train} + {n_validation}")
    order = np.random.default_rng(seed).permutation(len(images))
    train, val = order[:n_train], order[n_train:n_train + n_validation]
    test = order[n_train + n_validation:]
    return images[train], images[val], images[test]


def require_images(name: str, x) -> np.ndarray:
    """Integer-valued images of shape (n, 64) with levels in 0..16."""
    arr = np.asarray(x)
    if arr.ndim != 2 or arr.shape[1] != DIM or arr.shape[0] < 1:
        raise ParameterError(f"{name} must have shape (n, {DIM}), got {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number) or not np.all(np.isfinite(arr)):
        raise ParameterError(f"{name} must be finite numbers")
    if np.any(arr != np.round(arr)) or arr.min() < 0 or arr.max() > LEVELS - 1:
        raise ParameterError(f"{name} must hold integer grey levels 0..{LEVELS - 1}")
    return arr.astype(np.int64)


def uniform_bits(test) -> np.ndarray:
    """Bits per dimension of every test image under the uniform distribution over the 17 levels of each pixel."""
    test = require_images("test", test)
    return bits_per_dim(np.full(len(test), -DIM * math.log(LEVELS)))


def categorical_bits(train, test, pseudo_count: float = 1.0) -> np.ndarray:
    """Independent per-pixel categorical distributions with add-``pseudo_count`` smoothing, fitted on ``train``:
    bits per dimension of every test image."""
    train, test = require_images("train", train), require_images("test", test)
    pseudo_count = require_float("pseudo_count", pseudo_count, low=0.0, low_inclusive=False)
    counts = np.stack([np.bincount(train[:, j], minlength=LEVELS) for j in range(DIM)]) + pseudo_count
    log_p = np.log(counts / counts.sum(axis=1, keepdims=True))  # (64, 17)
    return bits_per_dim(log_p[np.arange(DIM), test].sum(axis=1))


def dequantized(x, seed: int = 0, draws: int = 1) -> np.ndarray:
    """``draws`` uniformly dequantized copies of the images, x + u with u ~ U[0, 1): shape (draws, n, 64)."""
    x = require_images("x", x)
    draws = require_int("draws", draws, minimum=1)
    return x[None] + np.random.default_rng(seed).random((draws, *x.shape))


def estimate_bits(log_weights) -> tuple[np.ndarray, np.ndarray]:
    """Per-image bits per dimension from K draws of the dequantization noise: ``(importance_weighted, bound)``.

    ``log_weights`` has shape (K, n): ``log p(x + u_k) - log q(u_k | x)`` in nats for draw k of image i (``log q``
    is 0 for uniform noise). The bound averages the log-weights; the importance-weighted estimate takes the log of
    their average (log-sum-exp, stable), ``log (1/K) sum_k p(x + u_k) / q(u_k | x)``, an estimate of log P(x)
    whose expectation is a lower bound on it that tightens as K grows. Both in bits per dimension."""
    w = np.asarray(log_weights, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] < 1 or w.shape[1] < 1:
        raise ParameterError(f"log_weights must have shape (draws, images), got {w.shape}")
    if not np.isfinite(w).all():
        raise ParameterError(f"log_weights has {int((~np.isfinite(w)).sum())} non-finite value(s)")
    top = w.max(axis=0)
    importance = top + np.log(np.exp(w - top).mean(axis=0))
    return bits_per_dim(importance), bits_per_dim(w.mean(axis=0))


def continuous_bits(log_prob, test, draws: int = 64, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Bits per dimension of every test image under a density ``log_prob`` of dequantized images in pixel units
    (one value per row of an (m, 64) array), from ``draws`` uniform noise draws: ``(importance_weighted, bound)``
    as :func:`estimate_bits` computes them."""
    test = require_images("test", test)
    draws = require_int("draws", draws, minimum=1)
    noisy = dequantized(test, seed=seed, draws=draws)
    return estimate_bits(np.stack([np.asarray(log_prob(y), dtype=np.float64) for y in noisy]))


def gaussian_log_prob(train, seed: int = 0, ridge: float = 1e-3):
    """A full-covariance Gaussian fitted by maximum likelihood to uniformly dequantized ``train`` (pixel units);
    ``ridge`` is added to the covariance's diagonal. Returns ``log_prob`` of an (m, 64) array."""
    from scipy.stats import multivariate_normal

    y = dequantized(train, seed=seed)[0]
    cov = np.cov(y, rowvar=False) + ridge * np.eye(DIM)
    dist = multivariate_normal(mean=y.mean(axis=0), cov=cov)
    return lambda points: dist.logpdf(np.asarray(points, dtype=np.float64)).reshape(-1)


def gmm_log_prob(train, n_components: int, seed: int = 0):
    """A full-covariance Gaussian mixture (scikit-learn, EM from seeded k-means starts) fitted to uniformly
    dequantized ``train`` in pixel units. Returns ``log_prob`` of an (m, 64) array."""
    from sklearn.mixture import GaussianMixture

    n_components = require_int("n_components", n_components, minimum=1)
    y = dequantized(train, seed=seed)[0]
    gmm = GaussianMixture(n_components, covariance_type="full", reg_covar=1e-3, random_state=seed).fit(y)
    return lambda points: gmm.score_samples(np.asarray(points, dtype=np.float64))


def select_gmm(train, validation, components=(1, 2, 4, 8), seed: int = 0):
    """The number of mixture components with the lowest validation bits per dimension; returns
    ``(k, {k: bits}, log_prob)`` with the ``log_prob`` of the mixture of ``k`` components."""
    scores, fitted = {}, {}
    for k in components:
        fitted[k] = gmm_log_prob(train, k, seed)
        scores[k] = float(continuous_bits(fitted[k], validation, seed=seed + 1)[0].mean())
    best = min(scores, key=scores.get)
    return best, scores, fitted[best]


def _previous_pixels(x, j):
    return x[:, :j].astype(np.float64) / (LEVELS - 1)


def autoregressive_fit(train, c: float = 1.0, pseudo_count: float = 1.0):
    """An autoregressive model of the pixels in raster order: pixel j given pixels 0..j-1 is a multinomial
    logistic regression (scikit-learn, L2 penalty of inverse strength ``c``) on the earlier pixels scaled to
    [0, 1]. Levels never seen at a pixel get probability from add-``pseudo_count`` smoothing of its counts, mixed
    in with weight ``pseudo_count * levels / (n + pseudo_count * levels)``; a pixel with one level in training is
    that smoothed categorical. Returns ``log_prob(images)``: the exact log-probability in nats of each image."""
    from threadpoolctl import threadpool_limits

    train = require_images("train", train)
    c = require_float("c", c, low=0.0, low_inclusive=False)
    pseudo_count = require_float("pseudo_count", pseudo_count, low=0.0, low_inclusive=False)
    n = len(train)
    smooth_weight = pseudo_count * LEVELS / (n + pseudo_count * LEVELS)
    models = []
    with threadpool_limits(limits=1):  # 63 small fits: threads only fight over the cores (measured: 10x slower)
        models += [_pixel_model(train, j, c, pseudo_count) for j in range(DIM)]
    return _autoregressive_log_prob(models, smooth_weight)


def _pixel_model(train, j, c, pseudo_count):
    from sklearn.linear_model import LogisticRegression

    counts = np.bincount(train[:, j], minlength=LEVELS) + pseudo_count
    prior = counts / counts.sum()
    classes = np.unique(train[:, j])
    if j == 0 or len(classes) < 2:
        return None, classes, prior
    lr = LogisticRegression(C=c, solver="newton-cg", max_iter=200).fit(_previous_pixels(train, j), train[:, j])
    return lr, lr.classes_, prior


def _autoregressive_log_prob(models, smooth_weight):
    def log_prob(images, per_pixel: bool = False):
        """log P(image) in nats; with ``per_pixel`` the (n, 64) log-probabilities of each pixel given the
        earlier ones, whose sum over pixels is log P(image)."""
        images = require_images("images", images)
        terms = np.zeros((len(images), DIM))
        for j, (lr, classes, prior) in enumerate(models):
            if lr is None:
                p = prior[images[:, j]]
            else:
                full = np.zeros((len(images), LEVELS))
                full[:, classes] = lr.predict_proba(_previous_pixels(images, j))
                p = (1 - smooth_weight) * full[np.arange(len(images)), images[:, j]] + smooth_weight * prior[images[:, j]]
            terms[:, j] = np.log(p)
        return terms if per_pixel else terms.sum(axis=1)

    return log_prob


def select_autoregressive(train, validation, cs=(0.3, 1.0, 3.0), pseudo_count: float = 1.0):
    """The regularisation ``c`` of :func:`autoregressive_fit` with the lowest validation bits per dimension; returns
    ``(c, {c: bits}, log_prob)`` with the ``log_prob`` of the model fitted with that ``c``."""
    validation = require_images("validation", validation)
    scores, fitted = {}, {}
    for c in cs:
        fitted[c] = autoregressive_fit(train, c, pseudo_count)
        scores[c] = float(bits_per_dim(fitted[c](validation)).mean())
    best = min(scores, key=scores.get)
    return best, scores, fitted[best]


def mean_and_se(values) -> tuple[float, float]:
    """Mean of per-image values and its standard error."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.size < 2:
        raise ParameterError("mean_and_se needs at least two values")
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size))


def nearest_images(queries, references) -> np.ndarray:
    """Index into ``references`` of the nearest image (Euclidean, in grey levels) to each of ``queries``."""
    q = np.asarray(queries, dtype=np.float64).reshape(len(queries), -1)
    r = np.asarray(references, dtype=np.float64).reshape(len(references), -1)
    d = (q ** 2).sum(1)[:, None] - 2 * q @ r.T + (r ** 2).sum(1)[None, :]
    return np.argmin(d, axis=1)


def plot_image_grid(rows, row_titles=None, ax_size: float = 0.6, cmap="gray_r", title=None):
    """Images in a grid, one list of (n, 64) or (n, 8, 8) arrays per row, each row titled on its left. Returns the
    figure. Grey levels are drawn on the fixed range 0..16."""
    import matplotlib.pyplot as plt

    from .plotting import figure_size

    rows = [np.asarray(r, dtype=np.float64).reshape(len(r), SIDE, SIDE) for r in rows]
    ncols = max(len(r) for r in rows)
    fig, axes = plt.subplots(len(rows), ncols, figsize=figure_size(ax_size * ncols + 1.2, ax_size * len(rows) + 0.3),
                             squeeze=False, gridspec_kw=dict(wspace=0.05, hspace=0.1))
    for i, row in enumerate(rows):
        for k, ax in enumerate(axes[i]):
            ax.set_xticks([]), ax.set_yticks([])
            if k < len(row):
                ax.imshow(row[k], cmap=cmap, vmin=0, vmax=LEVELS - 1)
            else:
                ax.set_axis_off()
        if row_titles is not None:
            axes[i, 0].set_ylabel(row_titles[i], rotation=0, ha="right", va="center", fontsize="small")
    if title:
        fig.suptitle(title, fontsize="medium")
    return fig
