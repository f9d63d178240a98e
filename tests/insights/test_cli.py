"""`kith insights rfm|clv|churn` over CSV files, without a database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from kith.cli.app import app

COLUMNS = ("--customer-col", "client", "--date-col", "day", "--amount-col", "total")


def kith(*args: str):
    return CliRunner().invoke(app, list(args))


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return write(
        tmp_path / "orders.csv",
        "client,day,total\n"
        "A-1,2025-01-05,10.50\n"
        'A-1,2025-03-05,"1,200.00"\n'
        "B-2,2025/02/01,$30\n"
        "C-3,2025-06-01T10:00:00,5\n"
        "A-1,2025-06-20,20\n",
    )


def history(tmp_path: Path, customers: int = 400, seed: int = 4) -> Path:
    """Two years of purchases: half the customers stop at a random day."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(2.0, 1 / 30, customers)
    stop = np.where(rng.random(customers) < 0.5, rng.integers(100, 730, customers), 730)
    n = rng.poisson(rate * stop) + 1
    who = np.repeat(np.arange(customers), n)
    day = (rng.random(who.size) * stop[who]).astype(int)
    origin = date(2024, 1, 1)
    frame = pl.DataFrame(
        {
            "client": who + 1000,
            "day": [(origin + timedelta(days=int(d))).isoformat() for d in day],
            "total": np.round(rng.gamma(3, 20, who.size), 2),
        }
    )
    path = tmp_path / "history.csv"
    frame.write_csv(path)
    return path


def test_rfm_json_keeps_the_files_customer_ids(small: Path):
    result = kith("insights", "rfm", "--transactions", str(small), *COLUMNS, "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["as_of"] == "2025-06-20"
    by_id = {c["customer_id"]: c for c in payload["customers"]}
    assert set(by_id) == {"A-1", "B-2", "C-3"}
    assert by_id["A-1"]["monetary"] == 1230.5 and by_id["A-1"]["frequency"] == 3
    assert by_id["A-1"]["segment"] == "champions"
    assert by_id["B-2"]["recency_days"] == 139
    assert sum(s["customers"] for s in payload["segments"]) == 3


def test_rfm_table_names_segments(small: Path):
    result = kith(
        "insights", "rfm", "--transactions", str(small), *COLUMNS, "--as-of", "2025-07-01"
    )
    assert result.exit_code == 0, result.output
    assert "RFM at 2025-07-01: 3 customers" in result.stdout
    assert "Can't lose them" in result.stdout


def test_clv_json_has_exactly_the_parameters_and_customers(tmp_path: Path):
    path = history(tmp_path)
    result = kith("insights", "clv", "--transactions", str(path), *COLUMNS, "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert list(payload) == ["bgnbd", "gamma_gamma", "customers"]
    assert set(payload["bgnbd"]) == {"r", "alpha", "a", "b"}
    assert set(payload["gamma_gamma"]) == {"p", "q", "v"}
    assert len(payload["customers"]) == 400
    first = payload["customers"][0]
    assert isinstance(first["customer_id"], int) and first["customer_id"] >= 1000
    assert {"frequency", "recency", "T", "monetary_value", "p_alive", "clv"} <= set(first)
    assert all(c["recency"] <= c["T"] for c in payload["customers"])  # days since first purchase


def test_churn_trains_on_the_files_history(tmp_path: Path):
    path = history(tmp_path)
    result = kith("insights", "churn", "--transactions", str(path), *COLUMNS, "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    model = payload["model"]
    assert model["as_of"] == "2025-12-31"  # the day after the last purchase
    assert model["test_cutoff"] == "2025-10-02" and model["train_cutoff"] == "2025-07-04"
    assert 0.5 < model["auc"] <= 1.0 and len(model["calibration"]) == 10
    assert len(payload["customers"]) == 400
    assert all(0 <= c["churn_risk"] <= 1 and len(c["drivers"]) == 3 for c in payload["customers"])
    table = kith("insights", "churn", "--transactions", str(path), *COLUMNS, "--limit", "3")
    assert table.exit_code == 0, table.output
    assert "AUC" in table.stdout and "recency_days" in table.stdout


def test_a_missing_column_is_named(small: Path):
    result = kith(
        "insights", "rfm", "--transactions", str(small), *COLUMNS[:4], "--amount-col", "price"
    )
    assert result.exit_code == 2
    assert "no amount column 'price'" in result.stderr
    assert "'client', 'day', 'total'" in result.stderr


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("D-4,2025-13-01,5", "line 3: column 'day': '2025-13-01' is not a date"),
        ("D-4,yesterday,5", "line 3: column 'day': 'yesterday' is not a date"),
        ("D-4,2025-01-01,five", "line 3: column 'total': 'five' is not a number"),
        ("D-4,,5", "line 3: column 'day' (date) is empty"),
    ],
)
def test_an_unreadable_value_is_named_with_its_line(tmp_path: Path, line: str, message: str):
    path = write(tmp_path / "bad.csv", f"client,day,total\nA-1,2025-01-05,1\n{line}\n")
    result = kith("insights", "clv", "--transactions", str(path), *COLUMNS)
    assert result.exit_code == 2
    assert message in result.stderr


def test_runs_without_a_database(small: Path):
    env = {**os.environ, "KITH_DATABASE_URL": "postgres://nobody:x@127.0.0.1:1/none"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kith.cli",
            "insights",
            "rfm",
            "--transactions",
            str(small),
            *COLUMNS,
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["customers"]) == 3
