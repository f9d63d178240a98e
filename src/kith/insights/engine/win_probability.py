"""Win probability of open deals, learned from the base's own closed deals.

Features (one row per deal, as it stood when it closed — or now, for an open deal): the stage's
default probability and position (the last open stage for a closed deal), days in that stage and
in the pipeline, the amount (log), the owner's win rate (smoothed towards the base rate; leave
one out in training so a deal does not vote for itself), how many activities were logged on it
and how many days since the last, and the source channel of the lead it came from.

The model is a logistic regression over standardised features and one-hot channels, judged on
the most recent quarter of the closed deals (time split) against the stage defaults, the
probability every CRM uses: log-loss, AUC and the expected calibration error with a reliability
curve. When there is too little history (MIN_CLOSED closed deals, MIN_CLASS of each outcome) or
the model does not beat the stage defaults on the held-out deals, the stage defaults are kept
and the model says why (kind, reason). Each score is explained by the features' contributions
to its log-odds (coefficient × distance from the average deal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score

NUMERIC = (
    "stage_probability",
    "stage_position",
    "days_in_stage",
    "days_in_pipeline",
    "log_amount",
    "owner_win_rate",
    "activities",
    "days_since_activity",
)
CATEGORICAL = ("source_channel",)
MIN_CLOSED = 40
MIN_CLASS = 10
PRIOR_WEIGHT = 5.0  # pseudo-deals pulling an owner's win rate towards the base rate
DRIVERS = 3
EPS = 1e-3

FloatArray = NDArray[np.float64]


def reliability(
    y: FloatArray, p: FloatArray, bins: int = 10
) -> tuple[list[dict[str, float]], float]:
    """The reliability curve (per probability bin: mean predicted, share won, deals) and the
    expected calibration error (bins weighted by their deals)."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    curve = []
    ece = 0.0
    for b in range(bins):
        mask = which == b
        n = int(mask.sum())
        if not n:
            continue
        predicted, observed = float(p[mask].mean()), float(y[mask].mean())
        curve.append({"predicted": predicted, "observed": observed, "n": n})
        ece += n / y.size * abs(predicted - observed)
    return curve, float(ece)


def _stage_default(frame: pl.DataFrame) -> FloatArray:
    return np.clip(frame["stage_probability"].to_numpy().astype(np.float64) / 100, EPS, 1 - EPS)


@dataclass
class WinModel:
    kind: str  # "logistic" or "stage_defaults"
    reason: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    model: LogisticRegression | None = None
    means: FloatArray | None = None
    scales: FloatArray | None = None
    channels: tuple[str, ...] = ()
    base_rate: float = 0.5
    owner_stats: dict[Any, tuple[float, float]] = field(default_factory=dict)  # wins, deals

    @property
    def names(self) -> list[str]:
        return [*NUMERIC, *(f"source_channel={c}" for c in self.channels)]


def _owner_rates(
    frame: pl.DataFrame,
    stats: dict[Any, tuple[float, float]],
    base: float,
    labels: FloatArray | None = None,
) -> FloatArray:
    owners = frame["owner_id"].to_list()
    out = np.empty(len(owners))
    for i, owner in enumerate(owners):
        wins, n = stats.get(owner, (0.0, 0.0))
        if labels is not None:  # leave this deal out
            wins, n = wins - labels[i], n - 1
        out[i] = (wins + PRIOR_WEIGHT * base) / (n + PRIOR_WEIGHT)
    return out


def _matrix(model: WinModel, frame: pl.DataFrame, labels: FloatArray | None = None) -> FloatArray:
    numeric = []
    for name in NUMERIC:
        if name == "owner_win_rate":
            numeric.append(_owner_rates(frame, model.owner_stats, model.base_rate, labels))
        elif name == "log_amount":
            numeric.append(np.log1p(np.maximum(frame["amount"].to_numpy().astype(float), 0)))
        else:
            numeric.append(frame[name].fill_null(0).to_numpy().astype(np.float64))
    x = np.column_stack(numeric)
    channel = frame["source_channel"].fill_null("").to_list()
    onehot = np.array([[1.0 if c == k else 0.0 for k in model.channels] for c in channel])
    return np.column_stack([x, onehot.reshape(len(channel), len(model.channels))])


def _fit(frame: pl.DataFrame, labels: FloatArray) -> WinModel:
    stats: dict[Any, list[float]] = {}
    for owner, won in zip(frame["owner_id"].to_list(), labels, strict=True):
        entry = stats.setdefault(owner, [0.0, 0.0])
        entry[0] += won
        entry[1] += 1
    channels = tuple(sorted({c for c in frame["source_channel"].fill_null("").to_list() if c}))
    model = WinModel(
        kind="logistic",
        channels=channels,
        base_rate=float(labels.mean()),
        owner_stats={k: (v[0], v[1]) for k, v in stats.items()},
    )
    x = _matrix(model, frame, labels)
    model.means = x.mean(axis=0)
    scales = x.std(axis=0)
    model.scales = np.where(scales > 0, scales, 1.0)
    model.model = LogisticRegression(C=1.0, max_iter=1000)
    model.model.fit((x - model.means) / model.scales, labels)
    return model


def _predict(model: WinModel, frame: pl.DataFrame) -> FloatArray:
    assert model.model is not None and model.means is not None and model.scales is not None
    x = (_matrix(model, frame) - model.means) / model.scales
    return np.clip(model.model.predict_proba(x)[:, 1], EPS, 1 - EPS)


def win_train(closed: pl.DataFrame, *, test_share: float = 0.25) -> WinModel:
    """Fit on the closed deals (columns: NUMERIC but owner_win_rate/log_amount, amount,
    owner_id, source_channel, won, closed_at), measured on the latest test_share of them."""
    n = closed.height
    won = closed["won"].to_numpy().astype(np.float64) if n else np.zeros(0)
    wins = int(won.sum())
    if n < MIN_CLOSED or min(wins, n - wins) < MIN_CLASS:
        return WinModel(
            kind="stage_defaults",
            reason="too_little_history",
            metrics={"closed": n, "won": wins, "min_closed": MIN_CLOSED, "min_class": MIN_CLASS},
        )
    ordered = closed.sort("closed_at")
    labels = ordered["won"].to_numpy().astype(np.float64)
    cut = round(n * (1 - test_share))
    train, test = ordered[:cut], ordered[cut:]
    y_train, y_test = labels[:cut], labels[cut:]
    if min(y_train.sum(), len(y_train) - y_train.sum()) < MIN_CLASS or len(set(y_test)) < 2:
        return WinModel(
            kind="stage_defaults",
            reason="too_little_history",
            metrics={"closed": n, "won": wins, "min_closed": MIN_CLOSED, "min_class": MIN_CLASS},
        )
    held = _fit(train, y_train)
    p_model = _predict(held, test)
    p_stage = _stage_default(test)
    curve, ece = reliability(y_test, p_model)
    curve_stage, ece_stage = reliability(y_test, p_stage)
    loss = float(log_loss(y_test, p_model, labels=[0, 1]))
    loss_stage = float(log_loss(y_test, p_stage, labels=[0, 1]))
    metrics: dict[str, Any] = {
        "closed": n,
        "won": wins,
        "train": cut,
        "test": n - cut,
        "log_loss": loss,
        "log_loss_stage": loss_stage,
        "auc": float(roc_auc_score(y_test, p_model)),
        "auc_stage": float(roc_auc_score(y_test, p_stage)),
        "ece": ece,
        "ece_stage": ece_stage,
        "reliability": curve,
        "reliability_stage": curve_stage,
    }
    if loss >= loss_stage:
        return WinModel(kind="stage_defaults", reason="no_better_than_stages", metrics=metrics)
    final = _fit(ordered, labels)
    final.metrics = metrics
    return final


def win_score(
    model: WinModel, deals: pl.DataFrame
) -> tuple[FloatArray, list[list[tuple[str, float]]]]:
    """Per deal its win probability and its top DRIVERS contributions to the log-odds (feature
    name, signed); the stage defaults have no drivers."""
    if not deals.height:
        return np.zeros(0), []
    if model.kind != "logistic":
        return _stage_default(deals), [[] for _ in range(deals.height)]
    assert model.model is not None and model.means is not None and model.scales is not None
    x = (_matrix(model, deals) - model.means) / model.scales
    p = np.clip(model.model.predict_proba(x)[:, 1], EPS, 1 - EPS)
    contributions = x * model.model.coef_[0]
    names = model.names
    drivers = []
    for row in contributions:
        # One-hot channels: only the deal's own channel speaks (the others are its absence).
        top = np.argsort(-np.abs(row))[:DRIVERS]
        drivers.append([(names[i], float(row[i])) for i in top if abs(row[i]) > 1e-9])
    return p, drivers
