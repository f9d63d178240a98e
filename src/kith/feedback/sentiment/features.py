"""The features a sentiment model reads: n-grams of a text, the same at training and scoring.

Chinese: character 1–3-grams (no word segmenter needed). English: word 1–3-grams plus
character 1–5-grams inside each word, marked with "~". Vietnamese ("vi2", since 2026.12.2):
syllable 1–3-grams plus character 1–5-grams of the whole space-joined text, marked with "~"
(so that "không tốt" and "chưa tốt" share their pieces across the syllable boundary).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

_SPACES = re.compile(r"\s+")
_WORDS = re.compile(r"[\w']+", re.UNICODE)


def zh_grams(text: str) -> list[str]:
    """Character 1–3-grams of the NFKC, lower-cased text (whitespace runs become one space)."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()
    size = len(text)
    grams = list(text)
    grams.extend(text[i : i + 2] for i in range(size - 1))
    grams.extend(text[i : i + 3] for i in range(size - 2))
    return grams


def words(text: str) -> list[str]:
    """The lower-cased words (Vietnamese syllables) of `text`, NFC, apostrophes kept."""
    return _WORDS.findall(unicodedata.normalize("NFC", text).lower())


def word_grams(text: str) -> list[str]:
    """Word 1–3-grams and, marked with "~", character 1–5-grams of each space-padded word."""
    tokens = words(text)
    grams = token_grams(tokens)
    for token in tokens:
        grams.extend(in_word_grams(token))
    return grams


def token_grams(tokens: list[str]) -> list[str]:
    """Word 1–3-grams of a token list, joined by one space."""
    size = len(tokens)
    grams = list(tokens)
    grams.extend(f"{tokens[i]} {tokens[i + 1]}" for i in range(size - 1))
    grams.extend(f"{tokens[i]} {tokens[i + 1]} {tokens[i + 2]}" for i in range(size - 2))
    return grams


@lru_cache(maxsize=200_000)
def in_word_grams(token: str) -> tuple[str, ...]:
    """Character 1–5-grams of " token ", marked with "~" (cached: words repeat across texts)."""
    padded = f" {token} "
    length = len(padded)
    return tuple("~" + padded[i : i + n] for n in range(1, 6) for i in range(length - n + 1))


def syllable_char_grams(text: str) -> list[str]:
    """Syllable 1–3-grams and, marked with "~", character 1–5-grams of " syllables joined "."""
    tokens = words(text)
    grams = token_grams(tokens)
    padded = f" {' '.join(tokens)} "
    length = len(padded)
    grams.extend("~" + padded[i : i + n] for n in range(1, 6) for i in range(length - n + 1))
    return grams


@lru_cache(maxsize=200_000)
def cross_grams(left: str, right: str) -> tuple[str, ...]:
    """The character 3–5-grams of `left + " " + right` that hold the space between them and at
    least one character on each side, marked with "~" (cached: the contexts repeat).

    `left` is the last 3 characters of " " + a syllable, `right` the next 3 characters of the
    text after it (following syllables, space-joined, and the closing space). Then
    syllable_char_grams(text) counts exactly: the syllable n-grams, in_word_grams of each
    syllable, cross_grams at each gap between syllables, less one "~ " per gap (the space that
    two padded syllables share)."""
    joined = f"{left} {right}"
    space = len(left)
    return tuple(
        "~" + joined[i : i + n]
        for n in range(3, 6)
        for i in range(max(0, space - n + 2), min(space, len(joined) - n + 1))
    )


def gap_contexts(tokens: list[str]) -> list[tuple[str, str]]:
    """(left, right) of cross_grams at each gap between `tokens`."""
    tail = " ".join(tokens) + " "
    out = []
    at = 0
    for k in range(len(tokens) - 1):
        at += len(tokens[k]) + 1  # the start of tokens[k + 1] in `tail`
        out.append(((" " + tokens[k])[-3:], tail[at : at + 3]))
    return out


ANALYZERS: dict[str, Callable[[str], list[str]]] = {
    "zh": zh_grams,
    "vi": word_grams,
    "vi2": syllable_char_grams,
    "en": word_grams,
}


def gram_display(gram: str) -> str:
    """How a feature reads to a person: "~ tốt" -> "tốt"."""
    return gram.lstrip("~").strip()
