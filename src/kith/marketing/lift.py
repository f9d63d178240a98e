"""The lift of a campaign against its holdout, with a 95 % confidence interval. Pure NumPy/SciPy
(no Django), vectorised: every function takes scalars or arrays of many campaigns at once.

- Conversion: the difference of two proportions (treated − holdout) with the Agresti–Caffo
  interval (one success and one failure added to each group), which keeps its coverage near
  95 % even for small rates where the plain Wald interval falls short.
- Revenue per recipient: the difference of means with Welch's t interval (unequal variances,
  Welch–Satterthwaite degrees of freedom); zeros for recipients who bought nothing included.

Groups are compared as assigned (intent to treat): every treated recipient counts, also those
whose message failed or bounced, so the holdout comparison stays a randomised one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

Z95 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class Lift:
    """treated − holdout, with its 95 % interval [low, high]."""

    estimate: float
    low: float
    high: float
    treated: float  # the treated group's rate or mean
    holdout: float
    n_treated: int
    n_holdout: int

    @property
    def verdict(self) -> str:
        """ "no_effect" when the interval spans 0 (or a group is empty), else "raised"/"lowered"."""
        if self.n_treated == 0 or self.n_holdout == 0 or not np.isfinite(self.low):
            return "no_effect"
        if self.low > 0:
            return "raised"
        if self.high < 0:
            return "lowered"
        return "no_effect"


def proportion_diff_interval(
    conv_t: Any, n_t: Any, conv_c: Any, n_c: Any, *, z: float = Z95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(estimate, low, high) of p_t − p_c; the estimate is the plain difference, the interval
    Agresti–Caffo's. Arrays broadcast; a group of size 0 gives NaN."""
    conv_t, n_t, conv_c, n_c = (np.asarray(v, dtype=float) for v in (conv_t, n_t, conv_c, n_c))
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = conv_t / n_t - conv_c / n_c
        pt, pc = (conv_t + 1) / (n_t + 2), (conv_c + 1) / (n_c + 2)
        se = np.sqrt(pt * (1 - pt) / (n_t + 2) + pc * (1 - pc) / (n_c + 2))
        centre = pt - pc
        empty = (n_t == 0) | (n_c == 0)
        low = np.where(empty, np.nan, centre - z * se)
        high = np.where(empty, np.nan, centre + z * se)
    return estimate, low, high


def mean_diff_interval(
    mean_t: Any, var_t: Any, n_t: Any, mean_c: Any, var_c: Any, n_c: Any, *, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(estimate, low, high) of mean_t − mean_c by Welch's t interval from each group's mean,
    sample variance (ddof=1) and size. Arrays broadcast; fewer than 2 in a group gives NaN."""
    mean_t, var_t, n_t, mean_c, var_c, n_c = (
        np.asarray(v, dtype=float) for v in (mean_t, var_t, n_t, mean_c, var_c, n_c)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        a, b = var_t / n_t, var_c / n_c
        se = np.sqrt(a + b)
        df = (a + b) ** 2 / (a**2 / (n_t - 1) + b**2 / (n_c - 1))
        t = stats.t.ppf(0.5 + level / 2, np.where(np.isfinite(df) & (df > 0), df, 1.0))
        estimate = mean_t - mean_c
        half = np.where(se > 0, t * se, 0.0)
        small = (n_t < 2) | (n_c < 2)
        low = np.where(small, np.nan, estimate - half)
        high = np.where(small, np.nan, estimate + half)
    return estimate, low, high


def conversion_lift(*, converted_t: int, n_t: int, converted_c: int, n_c: int) -> Lift:
    """The lift of the conversion rate (a difference of proportions, in rate units: 0.01 = one
    percentage point)."""
    estimate, low, high = proportion_diff_interval(converted_t, n_t, converted_c, n_c)
    return Lift(
        float(estimate) if n_t and n_c else 0.0,
        float(low),
        float(high),
        converted_t / n_t if n_t else 0.0,
        converted_c / n_c if n_c else 0.0,
        n_t,
        n_c,
    )


def revenue_lift(*, treated: Any, holdout: Any) -> Lift:
    """The lift of revenue per recipient from each group's per-recipient revenue (zeros
    included), in the revenue's units."""
    t, c = np.asarray(treated, dtype=float), np.asarray(holdout, dtype=float)

    def moments(values: np.ndarray) -> tuple[float, float]:
        if values.size == 0:
            return 0.0, 0.0
        return float(values.mean()), float(values.var(ddof=1)) if values.size > 1 else 0.0

    (mt, vt), (mc, vc) = moments(t), moments(c)
    estimate, low, high = mean_diff_interval(mt, vt, t.size, mc, vc, c.size)
    return Lift(float(estimate), float(low), float(high), mt, mc, int(t.size), int(c.size))
