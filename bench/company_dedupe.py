"""Company duplicates: precision and recall of the batch model (`kith dedupe --input`) on
generated business listings (tests/intake/listings.py), and Febrl's people for comparison.

    .venv/bin/python bench/company_dedupe.py

The listing generator's seed "dev" was used while the comparisons were designed; the figures
that count are the other seeds'. No public business-listing set is in the shared data, so these
are generated listings, not the held-back public benchmark of issue #15.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import sys
import time

import harness

sys.path.insert(0, str(harness.ROOT))  # tests.intake.listings

SEEDS = ("dev", "test", "holdout-2", "holdout-3")


def _score(records: list[dict], truth: set[tuple[str, str]]) -> tuple[float, float, float]:
    from kith.intake.matching import dedupe

    started = time.monotonic()
    predicted = {(p.a, p.b) for p in dedupe(records, threshold=0.9).pairs}
    hits = len(predicted & truth)
    return hits / max(1, len(predicted)), hits / len(truth), time.monotonic() - started


def _febrl(name: str) -> tuple[list[dict], set[tuple[str, str]]]:
    from tests.shared_data import SHARED_DATA

    from kith.intake.matching import records_from_columns

    with (SHARED_DATA / f"{name}.csv").open(encoding="utf-8") as f:
        reader = csv.reader(f, skipinitialspace=True)
        header = next(reader)
        records = records_from_columns(header, list(reader), id_column="rec_id")
    people: dict[str, list[str]] = {}
    for record in records:
        people.setdefault(record["id"].split("-")[1], []).append(record["id"])
    return records, {p for ids in people.values() for p in itertools.combinations(sorted(ids), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entities", type=int, default=600)
    parser.add_argument("--no-report", action="store_true")
    args = parser.parse_args()
    from tests.intake.listings import listings

    from kith.intake.matching import records_from_columns

    machine = harness.Load()
    rows = []
    for seed in SEEDS:
        header, table, truth = listings(seed, args.entities)
        records = records_from_columns(header, table, id_column="id")
        precision, recall, seconds = _score(records, truth)
        note = " (designed on)" if seed == "dev" else ""
        rows.append([f"listings, seed {seed}{note}", len(table), len(truth),
                     f"{precision:.3f}", f"{recall:.3f}", f"{seconds:.1f}"])  # fmt: skip
        print(rows[-1], flush=True)
    for name in ("febrl1", "febrl2"):
        try:
            records, truth = _febrl(name)
        except (OSError, RuntimeError):
            continue
        precision, recall, seconds = _score(records, truth)
        rows.append([name, len(records), len(truth), f"{precision:.3f}", f"{recall:.3f}",
                     f"{seconds:.1f}"])  # fmt: skip
        print(rows[-1], flush=True)
    machine.end()
    body = "\n".join(
        [
            "`.venv/bin/python bench/company_dedupe.py` — the batch model (splink/DuckDB, "
            "threshold 0.9) as `kith dedupe --input FILE.csv --id-column id --json` runs it, on "
            f"generated business listings (tests/intake/listings.py, {args.entities} businesses "
            "per seed: name, address, city, phone, category; legal forms, 'the', word order, "
            "street abbreviations, phone formats, typos; chains, tenants of one building and "
            "look-alike names as hard non-duplicates) and on Febrl's people. Generated, not the "
            f"held-back public listing set of #15; {machine.text()}.",
            "",
            *harness.table(
                ["set", "rows", "true pairs", "precision", "recall", "seconds"],
                rows,
                right_from=1,
            ),
        ]
    )
    print(machine.text())
    if not args.no_report:
        harness.section_write("Company duplicates: generated business listings", body)


if __name__ == "__main__":
    main()
