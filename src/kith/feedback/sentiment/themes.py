"""Themes: the phrases that recur in the negative (or positive) texts of a period, per language.

A phrase is a word 1–3-gram (English, Vietnamese) or a character 2–4-gram (Chinese) that is in
at least `min_count` texts of the label and far more often than in the other texts (smoothed
log-odds); a phrase inside a longer one found as often is dropped ("送餐" under "送餐慢").
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from kith.feedback.sentiment.features import words

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_STOP = {
    "en": set(
        [
            "a",
            "an",
            "the",
            "and",
            "or",
            "but",
            "is",
            "are",
            "was",
            "were",
            "be",
            "been",
            "it",
            "its",
            "this",
            "that",
            "to",
            "of",
            "in",
            "on",
            "at",
            "for",
            "with",
            "i",
            "you",
            "we",
            "they",
            "he",
            "she",
            "my",
            "your",
            "our",
            "me",
            "us",
            "them",
            "so",
            "as",
            "do",
            "did",
            "have",
            "has",
            "had",
            "not",
            "no",
            "very",
            "just",
            "from",
            "by",
            "if",
            "then",
            "than",
            "there",
            "here",
            "what",
            "which",
            "who",
            "when",
            "how",
            "all",
            "any",
            "can",
            "will",
            "would",
        ]
    ),
    "vi": set(
        [
            "và",
            "là",
            "của",
            "thì",
            "mà",
            "có",
            "không",
            "cho",
            "với",
            "các",
            "những",
            "một",
            "này",
            "đó",
            "được",
            "rất",
            "cũng",
            "đã",
            "lại",
            "ra",
            "vào",
            "em",
            "anh",
            "chị",
            "tôi",
            "mình",
            "bạn",
            "thầy",
            "cô",
            "nó",
            "như",
            "để",
            "khi",
            "nên",
            "về",
            "trong",
        ]
    ),
    "zh": set(),
}


@dataclass(frozen=True)
class Theme:
    phrase: str
    count: int  # texts of the label that hold it
    examples: list[str] = field(default_factory=list)


def phrases(text: str, language: str) -> set[str]:
    """The candidate phrases of one text (a set: a text counts once per phrase)."""
    if language == "zh":
        out: set[str] = set()
        for run in _HAN.findall(unicodedata.normalize("NFKC", text)):
            for n in (2, 3, 4):
                out.update(run[i : i + n] for i in range(len(run) - n + 1))
        return out
    stop = _STOP.get(language, set())
    tokens = words(text)
    out = set()
    for n in (1, 2, 3):
        for i in range(len(tokens) - n + 1):
            gram = tokens[i : i + n]
            if gram[0] in stop or gram[-1] in stop or any(t.isdigit() for t in gram):
                continue
            if n == 1 and len(gram[0]) < 3:
                continue
            out.add(" ".join(gram))
    return out


def themes_find(
    texts: Sequence[str],
    others: Sequence[str],
    *,
    language: str,
    top: int = 10,
    min_count: int = 2,
    examples: int = 2,
) -> list[Theme]:
    """The `top` phrases of `texts` (one label's) against `others` (the rest of the period)."""
    seen = [phrases(t, language) for t in texts]
    counts = Counter(p for s in seen for p in s)
    background = Counter(p for t in others for p in phrases(t, language))
    n, m = max(len(texts), 1), max(len(others), 1)

    def lift(p: str) -> float:
        return math.log((counts[p] + 0.5) / n) - math.log((background[p] + 0.5) / m)

    ranked = sorted(
        (p for p, c in counts.items() if c >= min_count and lift(p) > 0),
        key=lambda p: (-counts[p] * lift(p), -len(p), p),
    )
    chosen: list[str] = []
    for p in ranked:
        if any(p in q and counts[q] >= counts[p] * 0.8 for q in chosen):
            continue
        chosen = [q for q in chosen if not (q in p and counts[p] >= counts[q] * 0.8)]
        chosen.append(p)
        if len(chosen) == top:
            break
    out = []
    for p in chosen:
        shown = [t for t, s in zip(texts, seen, strict=True) if p in s][:examples]
        out.append(Theme(p, counts[p], [t[:200] for t in shown]))
    return out
