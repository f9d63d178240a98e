"""Lead scoring that learns: the chance a lead converts, from the base's converted and
disqualified leads, against Odoo's anchor — a naive-Bayes model over the same features.

Features: categorical (source channel, campaign, company size band, industry) and numeric
(emails opened, emails replied, hours to the first response, activities). The model is a
histogram gradient boosting classifier (categories as native categorical splits), which can
learn interactions naive Bayes cannot (a referral answered within the hour is worth more than
the two apart). The naive Bayes baseline is a categorical NB over the same features with the
numbers cut into quantile bins, as a frequency table per value (Odoo's approach). Both are
judged on held-out leads with log-loss, AUC and the expected calibration error; the boosted
model is kept only when it beats naive Bayes on held-out log-loss (else naive Bayes is kept, and
the run says so). With too little history (fewer than MIN_LEADS decided leads or one outcome
only) the score is the base's conversion rate of the lead's source channel, shrunk towards the
overall rate. Each score is explained by the features whose replacement by the base's typical
value moves it the most.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.naive_bayes import CategoricalNB

from kith.insights.engine.win_probability import reliability

CATEGORICAL = ("source_channel", "campaign", "company_size", "industry")
NUMERIC = ("emails_opened", "emails_replied", "hours_to_first_response", "activities")
BINS = 5
EPS = 1e-3
MIN_LEADS = 60
PRIOR_WEIGHT = 10.0  # pseudo-leads pulling a channel's rate towards the overall rate

FloatArray = NDArray[np.float64]


@dataclass
class LeadModel:
    kind: str  # "boosted", "naive_bayes" (boosting did not beat it) or "too_little_history"
    categories: dict[str, list[str]] = field(default_factory=dict)
    edges: dict[str, FloatArray] = field(default_factory=dict)
    model: HistGradientBoostingClassifier | None = None
    nb: CategoricalNB | None = None
    channel_rates: dict[str, float] = field(default_factory=dict)  # the fallback
    base_rate: float = 0.5
    typical: FloatArray | None = None  # per feature: the most common code / the median
    # Numeric features with no value in the training leads: a constant 0 (no information; the
    # boosting's binning needs at least one value).
    empty: set[str] = field(default_factory=set)
    metrics: dict[str, Any] = field(default_factory=dict)


def _codes(model: LeadModel, frame: pl.DataFrame) -> FloatArray:
    columns = []
    for name in CATEGORICAL:
        index = {v: i for i, v in enumerate(model.categories[name])}
        values = frame[name].fill_null("").to_list()
        columns.append(np.array([index.get(v, len(index)) for v in values], dtype=np.float64))
    for name in NUMERIC:
        if name in model.empty or name not in frame.columns:
            columns.append(np.zeros(frame.height))
        else:
            columns.append(frame[name].cast(pl.Float64).fill_null(np.nan).to_numpy())
    return np.column_stack(columns)


def _binned(model: LeadModel, x: FloatArray) -> NDArray[np.int64]:
    """Every feature as a category code (numbers cut at the training quantiles) for NB."""
    out = np.empty(x.shape, dtype=np.int64)
    k = len(CATEGORICAL)
    for j in range(k):
        out[:, j] = x[:, j].astype(np.int64)
    for j, name in enumerate(NUMERIC, start=k):
        values = np.nan_to_num(x[:, j], nan=-1.0)
        out[:, j] = np.searchsorted(model.edges[name], values, side="right")
    return out


def _prepare(frame: pl.DataFrame) -> LeadModel:
    model = LeadModel(kind="boosted")
    for name in CATEGORICAL:
        model.categories[name] = sorted({v for v in frame[name].fill_null("").to_list()})
    for name in NUMERIC:
        values = frame[name].drop_nulls().to_numpy().astype(np.float64)
        if not values.size:
            model.empty.add(name)
        qs = np.quantile(values, np.linspace(0, 1, BINS + 1)[1:-1]) if values.size else []
        model.edges[name] = np.unique(np.asarray(qs, dtype=np.float64))
    return model


def _fit_boosted(model: LeadModel, x: FloatArray, y: FloatArray) -> None:
    model.model = HistGradientBoostingClassifier(
        categorical_features=list(range(len(CATEGORICAL))),
        max_iter=300,
        learning_rate=0.05,
        max_leaf_nodes=8,
        min_samples_leaf=30,
        l2_regularization=1.0,
        # Stop when a held-back share of the training leads stops improving: without it 300
        # rounds overfit a few hundred leads.
        early_stopping=len(y) >= 200,
        validation_fraction=0.2,
        n_iter_no_change=15,
        random_state=0,
    )
    model.model.fit(x, y)
    typical = np.nanmedian(x, axis=0)
    for j in range(len(CATEGORICAL)):
        values, counts = np.unique(x[:, j], return_counts=True)
        typical[j] = values[np.argmax(counts)]
    model.typical = typical


def _nb(model: LeadModel, x: FloatArray, y: FloatArray) -> CategoricalNB:
    binned = _binned(model, x)
    sizes = [len(model.categories[n]) + 1 for n in CATEGORICAL] + [BINS + 1] * len(NUMERIC)
    nb = CategoricalNB(alpha=1.0, min_categories=sizes)
    nb.fit(binned, y)
    return nb


def _channel_fallback(leads: pl.DataFrame, y: FloatArray) -> LeadModel:
    model = LeadModel(kind="too_little_history")
    model.base_rate = float((y.sum() + 1) / (y.size + 2))  # Laplace: 0.5 with no history
    if leads.height:
        channels = leads["source_channel"].fill_null("").to_list()
        for channel in set(channels):
            mask = np.array([c == channel for c in channels])
            model.channel_rates[channel] = float(
                (y[mask].sum() + PRIOR_WEIGHT * model.base_rate) / (mask.sum() + PRIOR_WEIGHT)
            )
    return model


def _predict(model: LeadModel, x: FloatArray) -> FloatArray:
    if model.kind == "naive_bayes" and model.nb is not None:
        return np.asarray(model.nb.predict_proba(_binned(model, x))[:, 1], dtype=np.float64)
    assert model.model is not None
    return np.asarray(model.model.predict_proba(x)[:, 1], dtype=np.float64)


def leads_train(leads: pl.DataFrame, *, test_share: float = 0.25, seed: int = 0) -> LeadModel:
    """Fit on decided leads (column `converted`: 1 converted, 0 disqualified) with a random
    held-out share; metrics compare the boosted model with naive Bayes on it (log-loss, AUC,
    ECE, reliability curve); the model kept (boosted unless naive Bayes did as well or better
    on log-loss) is refitted on every lead. Too little history: the channel-rate fallback."""
    n = leads.height
    y_all = leads["converted"].to_numpy().astype(np.float64) if n else np.zeros(0)
    if n < MIN_LEADS or len(set(y_all)) < 2:
        fallback = _channel_fallback(leads, y_all)
        fallback.metrics = {
            "leads": n, "converted": int(y_all.sum()), "min_leads": MIN_LEADS,
            "base_rate": fallback.base_rate,
        }  # fmt: skip
        return fallback
    order = np.random.default_rng(seed).permutation(n)
    cut = round(n * (1 - test_share))
    train, test = leads[order[:cut].tolist()], leads[order[cut:].tolist()]
    held = _prepare(train)
    x_train, y_train = _codes(held, train), y_all[order[:cut]]
    x_test, y_test = _codes(held, test), y_all[order[cut:]]
    _fit_boosted(held, x_train, y_train)
    assert held.model is not None
    p_model = np.clip(held.model.predict_proba(x_test)[:, 1], EPS, 1 - EPS)
    nb = _nb(held, x_train, y_train)
    p_nb = np.clip(nb.predict_proba(_binned(held, x_test))[:, 1], EPS, 1 - EPS)
    curve, ece = reliability(y_test, p_model)
    curve_nb, ece_nb = reliability(y_test, p_nb)
    metrics: dict[str, Any] = {
        "leads": n,
        "converted": int(y_all.sum()),
        "train": cut,
        "test": n - cut,
        "log_loss": float(log_loss(y_test, p_model, labels=[0, 1])),
        "log_loss_nb": float(log_loss(y_test, p_nb, labels=[0, 1])),
        "auc": float(roc_auc_score(y_test, p_model)) if len(set(y_test)) > 1 else None,
        "auc_nb": float(roc_auc_score(y_test, p_nb)) if len(set(y_test)) > 1 else None,
        "ece": ece,
        "ece_nb": ece_nb,
        "reliability": curve,
        "reliability_nb": curve_nb,
    }
    final = _prepare(leads)
    x_all = _codes(final, leads)
    _fit_boosted(final, x_all, y_all)
    if metrics["log_loss"] >= metrics["log_loss_nb"]:
        final.kind = "naive_bayes"
        final.nb = _nb(final, x_all, y_all)
    final.metrics = metrics
    return final


def leads_score(
    model: LeadModel, leads: pl.DataFrame, *, drivers: int = 2
) -> tuple[FloatArray, list[list[tuple[str, float]]]]:
    """Per lead its conversion probability and the features that move it most (name, change
    in probability when set to the typical value, signed: positive lifts the lead). The
    channel-rate fallback has one driver at most: the channel against the overall rate."""
    if model.kind == "too_little_history" or model.typical is None:
        channels = leads["source_channel"].fill_null("").to_list() if leads.height else []
        p = np.array([model.channel_rates.get(c, model.base_rate) for c in channels])
        why = [
            [("source_channel", float(v - model.base_rate))] if abs(v - model.base_rate) >= 0.01
            else []
            for v in p
        ]  # fmt: skip
        return p.astype(np.float64), why
    x = _codes(model, leads)
    p = _predict(model, x)
    names = [*CATEGORICAL, *NUMERIC]
    effects = np.zeros(x.shape)
    for j in range(x.shape[1]):
        swapped = x.copy()
        swapped[:, j] = model.typical[j]
        effects[:, j] = p - _predict(model, swapped)
    explained = []
    for row in effects:
        top = np.argsort(-np.abs(row))[:drivers]
        explained.append([(names[j], float(row[j])) for j in top if abs(row[j]) >= 0.01])
    return p, explained
