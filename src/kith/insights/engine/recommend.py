"""Product recommendations from co-purchases (item-based collaborative filtering), and the
probability that a customer buys in a category soon.

Everything runs on a sparse customer × product matrix of 0/1 (bought or not), so 1M customers and
10M order lines take a few hundred MB: the item-item co-purchase counts are built one block of
products at a time and cut to each product's top neighbours before the next block, and scores
are built one block of customers at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import polars as pl
import scipy.sparse as sp
from numpy.typing import NDArray

from kith.insights.engine.parallel import threads_for
from kith.insights.engine.transactions import columns_require

LINE_COLUMNS = ("customer_id", "product_id", "at")

# Sparse products of at most about this many stored values are built at once.
_BLOCK_WORK = 20_000_000
_CUSTOMER_CHUNK = 100_000
# Popular products offered to a customer with too few co-purchase candidates.
_POPULAR_EXTRA = 20


@dataclass
class ItemSimilarity:
    """Cosine co-purchase similarity between products: matrix[i, j] for product_ids[i] and
    product_ids[j], holding each product's `neighbours` most similar products (zero diagonal);
    buyers[i] is how many customers bought product i."""

    product_ids: NDArray[np.int64]
    matrix: sp.csr_matrix
    buyers: NDArray[np.int64] = field(repr=False)


def _lines_normalise(lines: pl.DataFrame) -> pl.DataFrame:
    columns_require(lines, LINE_COLUMNS, what="order lines")
    at_type = lines.schema["at"]
    at = pl.col("at") if at_type == pl.Date else pl.col("at").cast(pl.Datetime).dt.date()
    extra = [c for c in ("category", "amount") if c in lines.columns]
    return lines.select(
        pl.col("customer_id").cast(pl.Int64),
        pl.col("product_id").cast(pl.Int64),
        at.alias("at"),
        *extra,
    ).drop_nulls(["customer_id", "product_id", "at"])


@dataclass
class _Purchases:
    customer_ids: NDArray[np.int64]
    product_ids: NDArray[np.int64]
    matrix: sp.csr_matrix  # customers × products, 1.0 where bought


def _purchase_matrix(lines: pl.DataFrame) -> _Purchases:
    pairs = lines.select("customer_id", "product_id").unique()
    customer_ids, customer_index = np.unique(pairs["customer_id"].to_numpy(), return_inverse=True)
    product_ids, product_index = np.unique(pairs["product_id"].to_numpy(), return_inverse=True)
    ones = np.ones(pairs.height, dtype=np.float32)
    matrix = sp.csr_matrix(
        (ones, (customer_index, product_index)), shape=(customer_ids.size, product_ids.size)
    )
    return _Purchases(customer_ids.astype(np.int64), product_ids.astype(np.int64), matrix)


def _top_per_row(matrix: sp.csr_matrix, n: int) -> sp.csr_matrix:
    """Keep each row's n largest values (ties to the lower column index), vectorised.

    One stable argsort of a single float key (row number + the value's place between the
    largest and smallest value, in [0, 0.5]) instead of a three-key lexsort: 5-10x faster at the
    hundreds of millions of candidate scores of 1M customers.
    """
    matrix = sp.csr_matrix(matrix)
    matrix.sum_duplicates()  # canonical: column indices sorted within each row
    matrix.eliminate_zeros()
    if matrix.nnz == 0:
        return matrix
    counts = np.diff(matrix.indptr)
    rows = np.repeat(np.arange(matrix.shape[0]), counts)
    data = matrix.data.astype(np.float64)
    top, low = float(data.max()), float(data.min())
    key = rows + (top - data) * (0.5 / ((top - low) or 1.0))
    order = np.argsort(key, kind="stable")
    rank = np.arange(order.size) - matrix.indptr[:-1][rows[order]]
    keep = order[rank < n]
    return sp.csr_matrix(
        (matrix.data[keep], (rows[keep], matrix.indices[keep])), shape=matrix.shape
    )


def _item_similarity(purchases: _Purchases, neighbours: int) -> ItemSimilarity:
    x = purchases.matrix
    buyers = np.asarray(x.sum(axis=0)).ravel()
    by_product = x.T.tocsr()  # products × customers
    basket = np.diff(x.indptr)
    # Work of a product block: sum over its buyers of their basket sizes.
    work = np.asarray(by_product @ basket.astype(np.float64)).ravel()
    norm = 1.0 / np.sqrt(np.maximum(buyers, 1.0))
    blocks = []
    start = 0
    n_products = x.shape[1]
    cumulative = np.cumsum(work)
    while start < n_products:  # a loop over product blocks, a handful even at 1M customers
        done = cumulative[start - 1] if start else 0.0
        stop = int(np.searchsorted(cumulative, done + _BLOCK_WORK, side="right"))
        stop = min(max(stop, start + 1), n_products)
        co = (by_product[start:stop] @ x).tocsr()  # co-purchase counts, block × products
        co = sp.diags(norm[start:stop]) @ co @ sp.diags(norm)
        co = sp.csr_matrix(co)
        # The diagonal of the block (a product with itself) sits at column start + row.
        rows = np.repeat(np.arange(co.shape[0]), np.diff(co.indptr))
        co.data[co.indices == rows + start] = 0.0
        blocks.append(_top_per_row(co, neighbours))
        start = stop
    matrix = sp.vstack(blocks, format="csr").astype(np.float32)
    return ItemSimilarity(purchases.product_ids, matrix, buyers.astype(np.int64))


def item_similarity(lines: pl.DataFrame, *, neighbours: int = 50) -> ItemSimilarity:
    """Cosine similarity of products by who bought them (co-purchases / sqrt(buyers_i buyers_j)),
    each product keeping its `neighbours` most similar ones."""
    return _item_similarity(_purchase_matrix(_lines_normalise(lines)), neighbours)


_RECOMMENDATION_SCHEMA = {
    "customer_id": pl.Int64,
    "product_id": pl.Int64,
    "score": pl.Float64,
    "rank": pl.Int32,
    "reason": pl.String,
}


def recommend_products(
    lines: pl.DataFrame,
    *,
    k: int = 5,
    neighbours: int = 50,
    customers: pl.Series | None = None,
) -> pl.DataFrame:
    """Up to k products per customer they have not bought yet, best first.

    score is the sum of the product's similarities to everything the customer bought (reason
    "similar"); a customer with fewer than k such products gets the most popular products they
    have not bought (reason "popular", score 0). rank starts at 1. With `customers` (ids), the
    similarities still come from every line but only those customers are given recommendations.
    """
    normalised = _lines_normalise(lines)
    if normalised.height == 0:
        return pl.DataFrame(schema=_RECOMMENDATION_SCHEMA)
    purchases = _purchase_matrix(normalised)
    similarity = _item_similarity(purchases, neighbours)
    popular = np.argsort(-similarity.buyers, kind="stable")[: k + _POPULAR_EXTRA]
    x, ids = purchases.matrix, purchases.customer_ids
    if customers is not None:
        wanted = np.flatnonzero(np.isin(ids, customers.cast(pl.Int64).to_numpy()))
        x, ids = x[wanted], ids[wanted]
    frames = [pl.DataFrame(schema=_RECOMMENDATION_SCHEMA)]
    for start in range(0, x.shape[0], _CUSTOMER_CHUNK):  # chunks of 100,000 customers
        chunk = x[start : start + _CUSTOMER_CHUNK]
        frames.append(
            _recommend_chunk(
                chunk,
                similarity.matrix,
                popular,
                k,
                customer_ids=ids[start : start + _CUSTOMER_CHUNK],
                product_ids=purchases.product_ids,
            )
        )
    return pl.concat(frames)


def _recommend_chunk(
    chunk: sp.csr_matrix,
    similarity: sp.csr_matrix,
    popular: NDArray[np.intp],
    k: int,
    *,
    customer_ids: NDArray[np.int64],
    product_ids: NDArray[np.int64],
) -> pl.DataFrame:
    scores = sp.csr_matrix(chunk @ similarity)
    scores = scores - scores.multiply(chunk)  # nothing the customer already bought
    top = _top_per_row(sp.csr_matrix(scores), k).tocoo()
    rows, cols, values = top.row, top.col, top.data.astype(np.float64)
    # Fill short lists from the popular products the customer has neither bought nor been given.
    have = np.bincount(rows, minlength=chunk.shape[0])
    need = k - have
    taken = np.asarray(chunk[:, popular].toarray() > 0)
    given = (
        sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=chunk.shape)[:, popular].toarray()
        > 0
    )
    available = ~(taken | given)
    fill = available & (np.cumsum(available, axis=1) <= need[:, None])
    fill_rows, fill_slots = np.nonzero(fill)
    all_rows = np.concatenate([rows, fill_rows])
    all_cols = np.concatenate([cols, popular[fill_slots]])
    all_scores = np.concatenate([values, np.zeros(fill_rows.size)])
    reason = np.concatenate(
        [np.zeros(rows.size, dtype=np.int8), np.ones(fill_rows.size, dtype=np.int8)]
    )
    order = np.lexsort((reason, -all_scores, all_rows))
    all_rows, all_cols, all_scores, reason = (
        all_rows[order],
        all_cols[order],
        all_scores[order],
        reason[order],
    )
    starts = np.searchsorted(all_rows, all_rows, side="left")
    rank = np.arange(all_rows.size) - starts + 1
    return pl.DataFrame(
        {
            "customer_id": customer_ids[all_rows],
            "product_id": product_ids[all_cols],
            "score": all_scores,
            "rank": rank.astype(np.int32),
            "reason": np.where(reason == 0, "similar", "popular"),
        },
        schema=_RECOMMENDATION_SCHEMA,
    )


def popular_products(
    lines: pl.DataFrame, *, k: int = 5, pool: int = 200, customers: pl.Series | None = None
) -> pl.DataFrame:
    """The popularity baseline: per customer (of `customers`, default all), the k products with
    the most distinct buyers that the customer has not bought yet (customer_id, product_id,
    rank), from the `pool` most popular."""
    normalised = _lines_normalise(lines)
    bought = normalised.select("customer_id", "product_id").unique()
    people = bought.select("customer_id").unique()
    if customers is not None:
        people = people.filter(pl.col("customer_id").is_in(customers.cast(pl.Int64).implode()))
    popular = (
        bought.group_by("product_id")
        .agg(pl.len().alias("buyers"))
        .sort(["buyers", "product_id"], descending=[True, False])
        .head(pool)
        .with_row_index("rank")
    )
    return (
        people.join(popular.select("product_id", "rank"), how="cross")
        .join(bought, on=["customer_id", "product_id"], how="anti")
        .sort(["customer_id", "rank"])
        .group_by("customer_id", maintain_order=True)
        .head(k)
    )


def hit_rate_at_k(
    lines: pl.DataFrame, *, split_date: date, k: int = 5, baseline: bool = False
) -> float:
    """Share of customers for whom at least one of the k products recommended from the lines
    before split_date is among the products they buy for the first time on or after it
    (baseline=True: the popularity baseline's recommendations instead of the item model's).

    Only customers who bought before split_date and buy something new afterwards are counted:
    the others could not have a hit.
    """
    normalised = _lines_normalise(lines)
    before = normalised.filter(pl.col("at") < split_date)
    after = normalised.filter(pl.col("at") >= split_date).select("customer_id", "product_id")
    bought_before = before.select("customer_id", "product_id").unique()
    new_after = after.unique().join(bought_before, on=["customer_id", "product_id"], how="anti")
    evaluated = (
        new_after.select("customer_id")
        .unique()
        .join(bought_before.select("customer_id").unique(), on="customer_id", how="semi")
    )
    if evaluated.height == 0:
        return 0.0
    if baseline:
        recommended = popular_products(before, k=k, customers=evaluated["customer_id"])
    else:
        # Only the customers who can count: at 1M customers most buy nothing new afterwards.
        recommended = recommend_products(before, k=k, customers=evaluated["customer_id"])
    recommended = recommended.select("customer_id", "product_id")
    hits = recommended.join(new_after, on=["customer_id", "product_id"], how="semi")
    return hits["customer_id"].n_unique() / evaluated.height


@dataclass
class CategoryPropensityModel:
    """A fitted category propensity model and how it did on the latest window it did not see.

    Evaluation: a model fitted on features at train_cutoff (labels: bought in the category in
    the next horizon days) scores the features at test_cutoff, compared with what happened
    after test_cutoff; `model` itself is then refitted the same way on test_cutoff, the latest
    complete window. baseline_auc ranks by days since the last purchase in the category alone.
    """

    model: object
    feature_names: list[str]
    categories: list[str]
    horizon_days: int
    train_cutoff: date
    test_cutoff: date
    auc: float
    baseline_auc: float
    base_rate: float
    brier: float
    trained_on: int
    tested_on: int


CATEGORY_FEATURES = [
    "category_days_since",
    "category_purchase_days",
    "category_purchase_days_365",
    "category_spend",
    "days_since",
    "purchase_days",
    "purchase_days_365",
    "category_share",
    "category_popularity",
]

# (customer, category) rows a fit learns from or is measured on at most (customers sampled).
_TRAIN_ROWS = 400_000


def _category_history(lines: pl.DataFrame, cutoff: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per (customer, category) and per customer aggregates of the lines up to cutoff."""
    past = lines.filter(pl.col("at") <= cutoff)
    year_ago = cutoff - timedelta(days=365)
    spend = pl.col("amount").sum() if "amount" in past.columns else pl.lit(0.0)
    pair = past.group_by("customer_id", "category").agg(
        (pl.lit(cutoff) - pl.col("at").max()).dt.total_days().alias("category_days_since"),
        pl.col("at").n_unique().alias("category_purchase_days"),
        pl.col("at").filter(pl.col("at") > year_ago).n_unique().alias("category_purchase_days_365"),
        spend.cast(pl.Float64).alias("category_spend"),
    )
    customer = past.group_by("customer_id").agg(
        (pl.lit(cutoff) - pl.col("at").max()).dt.total_days().alias("days_since"),
        pl.col("at").n_unique().alias("purchase_days"),
        pl.col("at").filter(pl.col("at") > year_ago).n_unique().alias("purchase_days_365"),
    )
    return pair, customer


def _category_features(
    pair: pl.DataFrame, customer: pl.DataFrame, categories: pl.DataFrame
) -> pl.DataFrame:
    """Every (customer, category) pair of the given customers with the model's features."""
    return (
        customer.join(categories, how="cross")
        .join(pair, on=["customer_id", "category"], how="left")
        .with_columns(
            pl.col("category_purchase_days", "category_purchase_days_365").fill_null(0),
            pl.col("category_spend").fill_null(0.0),
        )
        .with_columns(
            (pl.col("category_purchase_days") / pl.col("purchase_days")).alias("category_share")
        )
    )


def _category_labels(lines: pl.DataFrame, cutoff: date, horizon_days: int) -> pl.DataFrame:
    end = cutoff + timedelta(days=horizon_days)
    return (
        lines.filter((pl.col("at") > cutoff) & (pl.col("at") <= end))
        .select("customer_id", "category")
        .unique()
        .with_columns(pl.lit(1, dtype=pl.Int8).alias("label"))
    )


def _category_frame(
    lines: pl.DataFrame, cutoff: date, horizon_days: int, *, seed: int
) -> pl.DataFrame:
    """Labelled (customer, category) rows at cutoff, for at most _TRAIN_ROWS rows: customers
    are sampled *before* pairing them with every category, so 1M customers × 50 categories
    never materialise."""
    pair, customer = _category_history(lines, cutoff)
    categories = _category_popularity(lines, cutoff, horizon_days)
    most = max(1, _TRAIN_ROWS // max(categories.height, 1))
    if customer.height > most:
        customer = customer.sample(most, seed=seed)
        pair = pair.join(customer.select("customer_id"), on="customer_id", how="semi")
    labels = _category_labels(lines, cutoff, horizon_days)
    return (
        _category_features(pair, customer, categories)
        .join(labels, on=["customer_id", "category"], how="left")
        .with_columns(pl.col("label").fill_null(0))
    )


def _category_popularity(lines: pl.DataFrame, cutoff: date, horizon_days: int) -> pl.DataFrame:
    """Each category seen by cutoff and the share of customers who bought in it in the
    horizon_days before cutoff (a seasonal signal the pair features miss)."""
    past = lines.filter(pl.col("at") <= cutoff)
    recent = past.filter(pl.col("at") > cutoff - timedelta(days=horizon_days))
    active = max(recent["customer_id"].n_unique(), 1)
    return (
        past.select("category")
        .unique()
        .join(
            recent.group_by("category").agg(
                (pl.col("customer_id").n_unique() / active).alias("category_popularity")
            ),
            on="category",
            how="left",
        )
        .with_columns(pl.col("category_popularity").fill_null(0.0))
        .sort("category")
    )


def _matrix(frame: pl.DataFrame) -> NDArray[np.float64]:
    return frame.select(pl.col(CATEGORY_FEATURES).cast(pl.Float64)).to_numpy()


def _fit_classifier(frame: pl.DataFrame, seed: int) -> object:
    from sklearn.ensemble import HistGradientBoostingClassifier

    labels = frame["label"].to_numpy()
    if labels.min() == labels.max():
        raise ValueError("category propensity needs both buyers and non-buyers in a window")
    model = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.1, random_state=seed)
    with threads_for(frame.height):
        model.fit(_matrix(frame), labels)
    return model


def _require_category(lines: pl.DataFrame) -> pl.DataFrame:
    normalised = _lines_normalise(lines)
    if "category" not in normalised.columns:
        raise ValueError("order lines are missing column(s): category")
    return normalised.drop_nulls("category")


def category_propensity_fit(
    lines: pl.DataFrame, *, as_of: date, horizon_days: int = 90, seed: int = 0
) -> CategoryPropensityModel:
    """Fit P(customer buys in category within horizon_days) on time windows before as_of and
    measure it on the latest window it did not see (see CategoryPropensityModel)."""
    from sklearn.metrics import brier_score_loss, roc_auc_score

    normalised = _require_category(lines)
    test_cutoff = as_of - timedelta(days=horizon_days)
    train_cutoff = test_cutoff - timedelta(days=horizon_days)
    train = _category_frame(normalised, train_cutoff, horizon_days, seed=seed)
    test = _category_frame(normalised, test_cutoff, horizon_days, seed=seed + 1)
    if train.height == 0 or test.height == 0:
        raise ValueError("category propensity needs purchases before as_of − 2 × horizon_days")
    evaluated = _fit_classifier(train, seed)
    labels = test["label"].to_numpy()
    with threads_for(test.height):
        predicted = evaluated.predict_proba(_matrix(test))[:, 1]  # type: ignore[attr-defined]
    days_since = test["category_days_since"].fill_null(1e9).to_numpy().astype(np.float64)
    both = labels.min() != labels.max()
    return CategoryPropensityModel(
        model=_fit_classifier(test, seed),
        feature_names=list(CATEGORY_FEATURES),
        categories=_category_popularity(normalised, as_of, horizon_days)["category"].to_list(),
        horizon_days=horizon_days,
        train_cutoff=train_cutoff,
        test_cutoff=test_cutoff,
        auc=float(roc_auc_score(labels, predicted)) if both else float("nan"),
        baseline_auc=float(roc_auc_score(labels, -days_since)) if both else float("nan"),
        base_rate=float(labels.mean()),
        brier=float(brier_score_loss(labels, predicted)),
        trained_on=train.height,
        tested_on=test.height,
    )


def category_propensity(
    lines: pl.DataFrame,
    *,
    as_of: date,
    horizon_days: int = 90,
    model: CategoryPropensityModel | None = None,
    candidates: int | None = None,
    top: int | None = None,
) -> pl.DataFrame:
    """customer_id, category, probability of buying in the category in (as_of, as_of +
    horizon_days], for every customer who bought by as_of and every category seen by then.

    Fits the model with category_propensity_fit unless one is given. At scale, candidates=N
    scores only the categories a customer has bought in plus the N most popular ones (the
    others are left out rather than scored), and top=N keeps each customer's N most likely
    categories. Scored in chunks of customers.
    """
    normalised = _require_category(lines)
    if model is None:
        model = category_propensity_fit(normalised, as_of=as_of, horizon_days=horizon_days)
    pair, customer = _category_history(normalised, as_of)
    categories = _category_popularity(normalised, as_of, horizon_days)
    if candidates is not None:
        popular = categories.sort("category_popularity", descending=True).head(candidates)
    chunk = max(1, 2_000_000 // max(categories.height, 1))
    frames = []
    for start in range(0, customer.height, chunk):  # chunks of customers, not one per customer
        some = customer.slice(start, chunk)
        features = _category_features(pair, some, categories)
        if candidates is not None:
            own = pair.join(some.select("customer_id"), on="customer_id", how="semi")
            keep = pl.concat(
                [
                    own.select("customer_id", "category"),
                    some.select("customer_id").join(popular.select("category"), how="cross"),
                ]
            ).unique()
            features = features.join(keep, on=["customer_id", "category"], how="semi")
        with threads_for(features.height):
            probability = model.model.predict_proba(_matrix(features))[:, 1]  # type: ignore[attr-defined]
        scored = features.select("customer_id", "category").with_columns(
            pl.Series("probability", probability, dtype=pl.Float64)
        )
        if top is not None:
            scored = (
                scored.sort(["customer_id", "probability"], descending=[False, True])
                .group_by("customer_id", maintain_order=True)
                .head(top)
            )
        frames.append(scored)
    if not frames:
        return pl.DataFrame(
            schema={"customer_id": pl.Int64, "category": pl.String, "probability": pl.Float64}
        )
    return pl.concat(frames).sort("customer_id", "category")
