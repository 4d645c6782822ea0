"""Equal-weight mixtures of density models.

A mixture of K densities, :math:`q(x) = \\frac1K \\sum_k q_k(x)`, is a density
again, and its log is computed stably from the members' log-densities with the
log-sum-exp trick. Averaging densities (not log-densities) is what makes the
mixture forgiving: where one member puts almost no mass, the others still do, so
the mixture's log-density is at most :math:`\\log K` below its best member's.
"""

from __future__ import annotations

import numpy as np

from .validation import ParameterError


def mixture_log_prob(member_log_probs) -> np.ndarray:
    """Log-density of the equal-weight mixture, from an array of shape (members, points).

    Each row holds one member's log-densities (nats) at the same points. A member may
    give ``-inf`` (no mass) at a point; NaN or ``+inf`` are errors.
    """
    lp = np.asarray(member_log_probs, dtype=np.float64)
    if lp.ndim != 2 or lp.shape[0] < 1 or lp.shape[1] < 1:
        raise ParameterError(
            f"member_log_probs must have shape (members, points) with at least one of each, got {lp.shape}")
    if np.isnan(lp).any() or np.isposinf(lp).any():
        raise ParameterError("member_log_probs must not contain NaN or +inf")
    top = lp.max(axis=0)
    safe_top = np.where(np.isfinite(top), top, 0.0)  # every member -inf at a point: the mixture is -inf there
    with np.errstate(divide="ignore"):
        return safe_top + np.log(np.exp(lp - safe_top).mean(axis=0))
