"""Sentiment of customer text in English, Chinese and Vietnamese: pure Python, no Django.

`sentiments_score(texts)` detects each text's language (or takes the one given), scores it with
that language's model shipped in `models/` (trained by tools/sentiment_train.py) and returns a
`Sentiment` per text: label positive / neutral / negative, score (the probability of that
label), the n-grams that drove it, the language and the model version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from kith.feedback.sentiment.language import LANGUAGES, language_detect
from kith.feedback.sentiment.model import LABELS, LanguageModel

__all__ = [
    "LABELS",
    "LANGUAGES",
    "Sentiment",
    "language_detect",
    "sentiment_score",
    "sentiments_score",
]

MODELS_DIR = Path(__file__).resolve().parent / "models"
DRIVERS_SHOWN = 5


@dataclass(frozen=True)
class Sentiment:
    """One text's sentiment; `score` is the probability (0–1) of `label`."""

    language: str
    label: str
    score: float
    drivers: list[str] = field(default_factory=list)
    model_version: str = ""


@cache
def model_for(language: str) -> LanguageModel:
    """The shipped model of `language` ("en", "zh" or "vi"), loaded once per process."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}: one of {', '.join(LANGUAGES)}")
    return LanguageModel(MODELS_DIR / f"{language}.npz")


def sentiment_score(text: str, *, language: str = "auto", drivers: bool = True) -> Sentiment:
    """The sentiment of one text (see sentiments_score)."""
    return sentiments_score([text], language=language, drivers=drivers)[0]


def sentiments_score(
    texts: Sequence[str], *, language: str = "auto", drivers: bool = True
) -> list[Sentiment]:
    """The sentiment of each text, in order. `language` "auto" detects it per text.

    A text with no n-gram the model knows (empty, only digits) is neutral. Two-class models
    (English, Chinese: their corpora have no neutral class) call a text neutral when the two
    poles are within the model's neutral band of each other; the score is then 1 − |p+ − p−|.
    """
    if language != "auto" and language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}: auto or one of {', '.join(LANGUAGES)}")
    languages = [language_detect(t) if language == "auto" else language for t in texts]
    results: list[Sentiment | None] = [None] * len(texts)
    for lang in set(languages):
        positions = [i for i, got in enumerate(languages) if got == lang]
        model = model_for(lang)
        x = model.vectorize([texts[i] for i in positions])
        probs, mix = model.probabilities(x)
        for row, i in enumerate(positions):
            results[i] = _result(model, x, row, probs[row], mix[row], drivers, texts[i])
    return [r for r in results if r is not None]


def _result(
    model: LanguageModel, x, row: int, p: np.ndarray, mix: np.ndarray, drivers: bool, text: str
) -> Sentiment:
    if x.indptr[row] == x.indptr[row + 1]:
        return Sentiment(model.language, "neutral", 1.0, [], model.version)
    neutral = LABELS.index("neutral")
    if model.neutral_band and p[neutral] == 0.0:
        gap = abs(float(p[2] - p[0]))
        label = neutral if gap < model.neutral_band else int(np.argmax(p))
        score = 1.0 - gap if label == neutral else float(p[label])
    else:
        label = int(np.argmax(p))
        score = float(p[label])
    shown = model.drivers(x, row, label, mix, DRIVERS_SHOWN, text) if drivers else []
    return Sentiment(model.language, LABELS[label], round(score, 4), shown, model.version)
