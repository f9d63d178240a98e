"""Throughput of the shipped sentiment models on one core: texts scored per second.

    flock /work/wt/_bench.lock .venv/bin/python bench/sentiment_throughput.py [--texts 20000]

Texts: the `test` splits of ../shared/data/sentiment (Chinese, Vietnamese) and the English
held-out split, mixed and cycled to --texts; language detected per text ("auto"), drivers on
(as the database path stores them) and off (file mode --json). Single-threaded: BLAS is
pinned to one thread. Prints a JSON line with texts/s and the load average before and after.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[name] = "1"

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.shared_data import SHARED_DATA  # noqa: E402

from kith.feedback.sentiment import model_for, sentiments_score  # noqa: E402


def texts_load(n: int) -> list[str]:
    texts: list[str] = []
    for path in sorted((SHARED_DATA / "sentiment").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            texts += [r["text"] for r in csv.DictReader(handle) if r["split"] == "test"]
    with (ROOT / "tests/feedback/data/en_rt_test.csv").open(encoding="utf-8", newline="") as f:
        texts += [r["text"] for r in csv.DictReader(f)]
    texts.sort(key=lambda t: hash(t) % 1000)  # mix the languages, deterministically per run
    return (texts * (n // len(texts) + 1))[:n]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    texts = texts_load(args.texts)
    load_before = os.getloadavg()
    started = time.perf_counter()
    for language in ("en", "zh", "vi"):
        model_for(language)
    loaded = time.perf_counter() - started
    figures = {"texts": len(texts), "mean_chars": round(sum(map(len, texts)) / len(texts), 1),
               "models_load_s": round(loaded, 2)}  # fmt: skip
    for drivers in (True, False):
        started = time.perf_counter()
        for i in range(0, len(texts), args.batch):
            sentiments_score(texts[i : i + args.batch], drivers=drivers)
        elapsed = time.perf_counter() - started
        figures[f"texts_per_s_drivers_{'on' if drivers else 'off'}"] = round(len(texts) / elapsed)
    figures["load_average_before"] = [round(x, 2) for x in load_before]
    figures["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
