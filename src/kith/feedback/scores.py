"""The arithmetic of NPS, CSAT and CES: pure functions over lists of scores (no Django).

- NPS: scores 0–10; promoters 9–10, passives 7–8, detractors 0–6;
  NPS = % promoters − % detractors, from −100 to +100.
- CSAT: scores 1–5; CSAT % = share of 4 and 5 among the answers (×100); also the mean.
- CES: scores 1–7 ("the company made it easy": 1 strongly disagree … 7 strongly agree);
  the mean, and the share of 5–7 ("easy") ×100.
- Response rate: answered / sent × 100 (None when nothing was sent).
Every figure is None for an empty list, rounded to one decimal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
DETRACTOR_MAX = 6  # NPS 0–6
LOW_CSAT_MAX = 2  # CSAT 1–2
HIGH_EFFORT_MAX = 2  # CES 1–2


@dataclass(frozen=True)
class ScoreSummary:
    kind: str
    answers: int
    value: float | None  # NPS, CSAT % or CES mean: the headline figure of the kind
    mean: float | None
    positive: int  # promoters / satisfied (4–5) / easy (5–7)
    neutral: int  # passives / 3 / 3–4
    negative: int  # detractors / 1–2 / 1–2


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def nps(scores: Iterable[int]) -> float | None:
    """Net Promoter Score of 0–10 answers: % promoters (9–10) − % detractors (0–6)."""
    values = list(scores)
    if not values:
        return None
    promoters = sum(1 for s in values if s >= 9)
    detractors = sum(1 for s in values if s <= DETRACTOR_MAX)
    return round(100.0 * (promoters - detractors) / len(values), 1)


def csat(scores: Iterable[int]) -> float | None:
    """CSAT % of 1–5 answers: the share of 4s and 5s."""
    values = list(scores)
    return _pct(sum(1 for s in values if s >= 4), len(values))


def ces(scores: Iterable[int]) -> float | None:
    """Customer effort score of 1–7 answers: their mean (higher is easier)."""
    values = list(scores)
    return round(sum(values) / len(values), 2) if values else None


def response_rate(*, sent: int, answered: int) -> float | None:
    """Answered requests per sent request, in percent."""
    return _pct(answered, sent)


def buckets(kind: str, score: int) -> str:
    """ "positive", "neutral" or "negative" for one score of `kind`."""
    if kind == "nps":
        return "positive" if score >= 9 else "neutral" if score >= 7 else "negative"
    if kind == "csat":
        return "positive" if score >= 4 else "neutral" if score == 3 else "negative"
    if kind == "ces":
        return "positive" if score >= 5 else "neutral" if score >= 3 else "negative"
    raise ValueError(f"no scale for {kind!r}")


def summarise(kind: str, scores: Iterable[int]) -> ScoreSummary:
    """Headline figure, mean and positive/neutral/negative counts of one kind's scores."""
    values = list(scores)
    counts = {"positive": 0, "neutral": 0, "negative": 0}
    for s in values:
        counts[buckets(kind, s)] += 1
    headline = {"nps": nps, "csat": csat, "ces": ces}[kind](values)
    mean = round(sum(values) / len(values), 2) if values else None
    return ScoreSummary(kind, len(values), headline, mean, **counts)


def needs_follow_up(kind: str, score: int | None) -> str:
    """The follow-up reason a score calls for ("detractor", "low_csat", "high_effort"), or ""."""
    if score is None:
        return ""
    if kind == "nps" and score <= DETRACTOR_MAX:
        return "detractor"
    if kind == "csat" and score <= LOW_CSAT_MAX:
        return "low_csat"
    if kind == "ces" and score <= HIGH_EFFORT_MAX:
        return "high_effort"
    return ""


def summarise_counts(kind: str, counts: dict[int, int]) -> ScoreSummary:
    """`summarise` from how many answers gave each score ({score: count}), as a database
    GROUP BY returns them."""
    values: list[int] = []
    for score, n in counts.items():
        values.extend([int(score)] * int(n))
    return summarise(kind, values)
