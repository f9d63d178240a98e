"""The automatic A/B winner's rule: the variant with the best response rate wins only if it
beats every other variant by a one-sided two-proportion z-test at 5 % (Bonferroni-corrected
for the number of comparisons); otherwise the first variant (A, the control) is kept, and the
reason says there was no significant difference. Pure Python, no Django.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ALPHA = 0.05


@dataclass(frozen=True)
class VariantCounts:
    key: str
    sent: int
    responded: int

    @property
    def rate(self) -> float:
        return self.responded / self.sent if self.sent else 0.0


def _p_better(best: VariantCounts, other: VariantCounts) -> float:
    """One-sided p-value of "best's rate > other's" (pooled two-proportion z-test)."""
    if not best.sent or not other.sent:
        return 1.0
    pooled = (best.responded + other.responded) / (best.sent + other.sent)
    se = math.sqrt(pooled * (1 - pooled) * (1 / best.sent + 1 / other.sent))
    if se == 0:
        return 1.0
    z = (best.rate - other.rate) / se
    return 0.5 * math.erfc(z / math.sqrt(2))


def winner_choose(variants: list[VariantCounts], *, alpha: float = ALPHA) -> tuple[str, str]:
    """(winning key, reason in plain words) — see the module docstring. `variants` in key
    order; the first is the control."""
    if not variants:
        raise ValueError("no variants")
    control = variants[0]
    best = max(variants, key=lambda v: (v.rate, -ord(v.key[0])))
    others = [v for v in variants if v.key != best.key]
    if not others:
        return best.key, "only one variant"
    threshold = alpha / len(others)
    worst_p = max(_p_better(best, other) for other in others)
    if best.key != control.key and worst_p < threshold:
        return best.key, (
            f"{best.key} {best.rate:.1%} of {best.sent} beat every other variant "
            f"(p = {worst_p:.4f} < {threshold:.4f})"
        )
    if best.key == control.key and worst_p < threshold:
        return control.key, (
            f"{control.key} {control.rate:.1%} of {control.sent} beat every other variant "
            f"(p = {worst_p:.4f} < {threshold:.4f})"
        )
    return control.key, (
        f"no significant difference (best {best.key} {best.rate:.1%} of {best.sent}, "
        f"p = {worst_p:.4f} ≥ {threshold:.4f}): the control {control.key} is kept"
    )
