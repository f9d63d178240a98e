"""A shipped sentiment model of one language: linear experts over n-gram features, mixed by a
domain router, loaded from an .npz file inside the package.

File layout (written by tools/sentiment_train.py): `vocab` (the n-grams, UTF-8, one per line),
`idf` (float32 per n-gram), `weights` (float32, one row per class of every expert, then one per
router domain), `bias` (float32, same rows) and `meta` (JSON: the analyzer, the weighting —
"binary" or "tfidf" —, each expert's classes and rows, the router's rows, the version).
Scoring a text: x = its n-grams (binary, or sublinear tf-idf with unit length); every expert
gives class probabilities softmax(Wx + b); the router gives P(domain | x); the result is their
mixture over the labels negative / neutral / positive.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from kith.feedback.sentiment.features import (
    ANALYZERS,
    cross_grams,
    gap_contexts,
    gram_display,
    in_word_grams,
    syllable_char_grams,
    token_grams,
    word_grams,
    words,
)

LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Expert:
    name: str
    rows: np.ndarray  # rows of weights/bias, one per class
    label_index: np.ndarray  # the LABELS index of each class


class LanguageModel:
    """One language's model, ready to score (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            vocab = bytes(data["vocab"]).decode("utf-8").split("\n")
            self.idf = data["idf"].astype(np.float32)
            weights = data["weights"].astype(np.float32)
            bias = data["bias"].astype(np.float32)
        self.language: str = meta["language"]
        self.version: str = meta["version"]
        self.weighting: str = meta["weighting"]
        self.neutral_band: float = float(meta.get("neutral_band", 0.0))
        self.analyzer = ANALYZERS[meta["analyzer"]]
        # Word n-grams read better as drivers than the character n-grams inside words.
        self.words_shown = meta["analyzer"] != "zh"
        self._word_columns: dict[str, list[int]] = {}  # token -> its in-word n-grams' columns
        self._gap_columns: dict[tuple[str, str], list[int]] = {}  # gap -> its cross n-grams'
        self.vocab = vocab
        self.index = {gram: i for i, gram in enumerate(vocab)}
        # Column-major so that the columns of a text's n-grams are cheap to gather.
        self.weights_t = np.ascontiguousarray(weights.T)  # (n_grams, rows)
        self.bias = bias
        self.experts = [
            Expert(
                name=expert["name"],
                rows=np.array(expert["rows"], dtype=np.intp),
                label_index=np.array([LABELS.index(c) for c in expert["classes"]], dtype=np.intp),
            )
            for expert in meta["experts"]
        ]
        self.router_rows = np.array(meta.get("router_rows", []), dtype=np.intp)
        # Per expert and label, how much each n-gram moves a text toward that label: the class's
        # weight less the mean over the expert's classes (for a two-class expert, neutral is
        # away from both poles). Precomputed so that drivers cost one gather per expert.
        self.toward: list[np.ndarray] = []
        for expert in self.experts:
            cols = self.weights_t[:, expert.rows]
            per_label = np.empty((len(LABELS), len(vocab)), dtype=np.float32)
            for label in range(len(LABELS)):
                hit = np.nonzero(expert.label_index == label)[0]
                if len(hit):
                    per_label[label] = cols[:, hit[0]] - cols.mean(axis=1)
                else:
                    per_label[label] = -np.abs(cols[:, 0] - cols[:, 1]) / 2
            self.toward.append(per_label)

    def vectorize(self, texts: list[str]) -> sparse.csr_matrix:
        """The feature matrix of `texts` (one row each, n-grams outside the vocabulary dropped)."""
        get = self.index.get
        analyzer = self.analyzer
        indptr = [0]
        indices: list[int] = []
        counts: list[int] = []
        by_word = analyzer is word_grams
        by_syllable = analyzer is syllable_char_grams
        space = self.index.get("~ ")
        for text in texts:
            tokens = words(text) if by_syllable else []
            if tokens:
                # Same counts as Counter(syllable_char_grams(text)) mapped to columns (see
                # features.cross_grams), from per-syllable and per-gap columns looked up once.
                columns = [i for i in map(get, token_grams(tokens)) if i is not None]
                for token in tokens:
                    columns.extend(self._word_columns_of(token))
                for gap in gap_contexts(tokens):
                    columns.extend(self._gap_columns_of(gap))
                counted = Counter(columns)
                if space is not None and len(tokens) > 1:
                    counted[space] -= len(tokens) - 1
                indices.extend(counted)
                counts.extend(counted.values())
            elif by_word:
                # Same counts as Counter(word_grams(text)) mapped to columns, with each word's
                # in-word n-gram columns looked up once per model (words repeat).
                tokens = words(text)
                columns = [i for i in map(get, token_grams(tokens)) if i is not None]
                for token in tokens:
                    columns.extend(self._word_columns_of(token))
                counted = Counter(columns)
                indices.extend(counted)
                counts.extend(counted.values())
            else:
                for gram, n in Counter(analyzer(text)).items():
                    i = get(gram)
                    if i is not None:
                        indices.append(i)
                        counts.append(n)
            indptr.append(len(indices))
        cols = np.array(indices, dtype=np.int32)
        if self.weighting == "tfidf":
            values = (1.0 + np.log(np.array(counts, dtype=np.float32))) * self.idf[cols]
        else:
            values = np.ones(len(cols), dtype=np.float32)
        x = sparse.csr_matrix(
            (values, cols, np.array(indptr, dtype=np.int64)), shape=(len(texts), len(self.vocab))
        )
        if self.weighting == "tfidf":
            norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
            norms[norms == 0] = 1.0
            x = sparse.csr_matrix(sparse.diags(1.0 / norms.astype(np.float32)) @ x)
        return x

    def _word_columns_of(self, token: str) -> list[int]:
        found = self._word_columns.get(token)
        if found is None:
            get = self.index.get
            found = [i for i in map(get, in_word_grams(token)) if i is not None]
            if len(self._word_columns) < 500_000:
                self._word_columns[token] = found
        return found

    def _gap_columns_of(self, gap: tuple[str, str]) -> list[int]:
        found = self._gap_columns.get(gap)
        if found is None:
            get = self.index.get
            found = [i for i in map(get, cross_grams(*gap)) if i is not None]
            if len(self._gap_columns) < 500_000:
                self._gap_columns[gap] = found
        return found

    def probabilities(self, x: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        """(P(label) per text over LABELS, P(domain) per text over the experts)."""
        logits = np.asarray(x @ self.weights_t) + self.bias
        n = x.shape[0]
        if len(self.router_rows):
            mix = _softmax(logits[:, self.router_rows])
        else:
            mix = np.ones((n, 1), dtype=np.float32)
        probs = np.zeros((n, len(LABELS)), dtype=np.float64)
        for k, expert in enumerate(self.experts):
            p = _softmax(logits[:, expert.rows])
            probs[:, expert.label_index] += mix[:, k : k + 1] * p
        return probs, mix

    def drivers(
        self, x: sparse.csr_matrix, row: int, label: int, mix: np.ndarray, top: int, text: str = ""
    ) -> list[str]:
        """The n-grams of one text that pushed it most toward `label`, longest first among
        overlapping ones ("送餐慢" rather than "送餐" and "慢"). Chinese n-grams that overlap in
        `text` are joined into the phrase they cover ("太慢了" + "餐太慢" -> "餐太慢了")."""
        start, end = x.indptr[row], x.indptr[row + 1]
        cols, data = x.indices[start:end], x.data[start:end]
        if not len(cols):
            return []
        toward = np.zeros(len(cols), dtype=np.float32)
        for k, per_label in enumerate(self.toward):
            toward += float(mix[k]) * per_label[label, cols]
        toward *= data
        keep = top * 6
        if len(toward) > keep:
            best = np.argpartition(-toward, keep)[:keep]
            order = best[np.argsort(-toward[best])]
        else:
            order = np.argsort(-toward)
        chosen: list[str] = []
        for i in order.tolist():
            if toward[i] <= 0:
                break
            gram = self.vocab[cols[i]]
            if self.words_shown and gram.startswith("~"):
                continue
            if not self.words_shown and not gram.isalnum():  # "净,服" reads as nothing
                continue
            shown = gram_display(gram)
            if not shown or any(shown in other for other in chosen):
                continue
            chosen = [other for other in chosen if other not in shown]
            chosen.append(shown)
            if len(chosen) == top:
                break
        if text and not self.words_shown:
            return _spans_joined(text, chosen)
        return chosen


def _spans_joined(text: str, grams: list[str]) -> list[str]:
    """Join grams whose first occurrences overlap in the (normalised) text, in rank order."""
    text = " ".join(unicodedata.normalize("NFKC", text).lower().split())
    spans: list[list[int]] = []  # [start, end, rank of its best gram]
    for rank, gram in enumerate(grams):
        start = text.find(gram)
        if start < 0:
            continue
        end = start + len(gram)
        touching = [s for s in spans if s[0] < end and start < s[1]]
        for s in touching:
            start, end, rank = min(start, s[0]), max(end, s[1]), min(rank, s[2])
            spans.remove(s)
        spans.append([start, end, rank])
    return [
        text[a:b].strip(" ,.!?;:，。！？；：、") for a, b, _r in sorted(spans, key=lambda s: s[2])
    ]


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
